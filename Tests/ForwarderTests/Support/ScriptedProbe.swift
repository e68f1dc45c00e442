import Forwarder
import BackstopSync

/// A health probe whose answer the test sets, per host.
final class ScriptedProbe: HealthProbe {
    private let answers = Locked<[PrimaryHost: ConnectionFailure?]>([:])
    private let counts = Locked<[PrimaryHost: Int]>([:])

    func set(_ host: PrimaryHost, _ answer: ConnectionFailure?) {
        answers.withLock { $0[host] = .some(answer) }
    }

    func probes(of host: PrimaryHost) -> Int {
        counts.withLock { $0[host] ?? 0 }
    }

    func probe(_ host: PrimaryHost) async -> ConnectionFailure? {
        counts.withLock { $0[host, default: 0] += 1 }
        return answers.withLock { $0[host] ?? nil }
    }
}
