import Forwarder
import BackstopSync
import SpoolContract

/// The latest state of every primary host, readable without waiting: the listener asks it on
/// every MAIL when `accept_when = "primary-down"`.
final class PrimaryStatusBoard: Sendable {
    /// Keyed by `host:port`, as transitions name hosts.
    private let states: Locked<[String: HostState]>

    /// `hosts`: every primary host, default and per-domain routes alike; a host may be listed twice.
    init(hosts: [PrimaryHost]) {
        states = Locked(Dictionary(hosts.map { ($0.description, .unknown) }, uniquingKeysWith: { first, _ in first }))
    }

    /// Hosts the board was not made for are ignored.
    func update(_ transition: HealthTransition) {
        states.withLock { states in
            guard states[transition.host] != nil else { return }
            states[transition.host] = transition.to
        }
    }

    /// True only when every host is known to be up; unknown counts as not up, so a fresh start
    /// accepts mail until the first probes have answered.
    var everyHostIsUp: Bool {
        states.withLock { states in !states.isEmpty && states.values.allSatisfy { $0 == .up } }
    }
}
