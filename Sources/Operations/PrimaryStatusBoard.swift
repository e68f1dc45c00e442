import Forwarder
import Synchronization

/// The latest state of every primary host, readable without waiting: the listener asks it on
/// every MAIL when `accept_when = "primary-down"`.
final class PrimaryStatusBoard: Sendable {
    private let states: Mutex<[PrimaryHost: HostState]>

    init(hosts: [PrimaryHost]) {
        states = Mutex(Dictionary(uniqueKeysWithValues: hosts.map { ($0, .unknown) }))
    }

    func update(_ transition: HealthTransition) {
        states.withLock { $0[transition.host] = transition.to }
    }

    /// True only when every host is known to be up; unknown counts as not up, so a fresh start
    /// accepts mail until the first probes have answered.
    var everyHostIsUp: Bool {
        states.withLock { states in !states.isEmpty && states.values.allSatisfy { $0 == .up } }
    }
}
