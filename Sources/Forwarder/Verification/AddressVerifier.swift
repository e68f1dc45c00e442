import BackstopDefaults
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MailNames
import Logging
import BackstopSync

/// What the primary said about an address, as verification remembers it.
public struct RememberedAnswer: Hashable, Sendable {
    /// True when the primary accepted the address, false when it refused it (5xx).
    public var exists: Bool
    public var at: Date
    public var reply: String?

    public init(exists: Bool, at: Date, reply: String? = nil) {
        self.exists = exists
        self.at = at
        self.reply = reply
    }
}

/// Where verification keeps the primary's answers: the spool database, so they outlive both
/// a restart and the primary's outage. Freshness is the verifier's call, not the memory's.
public protocol VerificationMemory: Sendable {
    /// The latest answer about `address`, however old; nil when there is none.
    func recall(_ address: String) async throws -> RememberedAnswer?
    func remember(_ answer: RememberedAnswer, for address: String) async throws
}

/// Recipient verification that survives the outage (`[relay] verify`).
///
/// An answer remembered within its TTL (`verify_positive_ttl`, `verify_negative_ttl`) decides
/// at once, whether the primary is up or down. Without one, while some host of the address's
/// route is not down, the primary is asked by a callout: 2xx → exists, 5xx → unknown user, and
/// both are remembered; a 4xx or a timeout → accepted unverified (a lost message is worse than
/// a rare bounce). While every host is down, or none could be reached, an address with no
/// fresh answer gets `verify_unknown_when_down`. A callout slower than `deadline` leaves the
/// sender accepted unverified, and its answer is still remembered for the next one.
public final class AddressVerifier: Sendable {
    public struct Configuration: Sendable {
        public var positiveTTL: Duration
        public var negativeTTL: Duration
        /// `verify_unknown_when_down = "tempfail"`: an address with no fresh answer gets a 4xx
        /// while the primary cannot be asked; otherwise it is accepted.
        public var tempfailUnknownWhileDown: Bool
        /// Each step of a callout, connecting included.
        public var stepTimeout: Duration
        /// The longest a sender waits at RCPT for a callout.
        public var deadline: Duration

        public init(positiveTTL: Duration = BackstopDefaults.Relay.verifyPositiveTTL,
                    negativeTTL: Duration = BackstopDefaults.Relay.verifyNegativeTTL,
                    tempfailUnknownWhileDown: Bool = BackstopDefaults.Relay.tempfailUnknownWhenDown,
                    stepTimeout: Duration = BackstopDefaults.Primary.probeTimeout,
                    deadline: Duration = BackstopDefaults.Primary.probeTimeout) {
            self.positiveTTL = positiveTTL
            self.negativeTTL = negativeTTL
            self.tempfailUnknownWhileDown = tempfailUnknownWhileDown
            self.stepTimeout = stepTimeout
            self.deadline = deadline
        }
    }

    public enum Verdict: Hashable, Sendable {
        /// The primary accepted the address, now or within the positive TTL.
        case exists
        /// The primary refused it, now or within the negative TTL: `550 5.1.1`.
        case unknownUser
        /// Nothing is known and nothing could be learnt in time; accepted. Says why.
        case unverified(String)
        /// Nothing is known and the primary cannot be asked: `450 4.1.1`, the sender retries.
        case tryLater
    }

    private let configuration: Configuration
    private let memory: any VerificationMemory
    private let health: HealthMonitor
    private let client: SMTPClient
    private let hostsForDomain: @Sendable (String) -> [PrimaryHost]
    private let calloutRate: CalloutRate?
    private let clock: any ForwarderClock
    private let logger: Logger

    /// - Parameter hostsForDomain: the hosts of the route that delivers mail for a domain
    ///   (lowercased), in order; the callout asks them, and their health says "down".
    public init(configuration: Configuration, memory: any VerificationMemory, health: HealthMonitor, client: SMTPClient,
                hostsForDomain: @escaping @Sendable (String) -> [PrimaryHost], calloutRate: CalloutRate? = nil,
                clock: any ForwarderClock = SystemClock(), logger: Logger = Logger(label: "backstop.forwarder.verify")) {
        self.configuration = configuration
        self.memory = memory
        self.health = health
        self.client = client
        self.hostsForDomain = hostsForDomain
        self.calloutRate = calloutRate
        self.clock = clock
        self.logger = logger
    }

    /// - Parameter client: the IP address of the SMTP client that gave the address; its
    ///   callouts count against `calloutRate`. Nil: not counted.
    public func verify(_ address: String, client: String? = nil) async -> Verdict {
        if let known = await freshAnswer(for: address) { return known.exists ? .exists : .unknownUser }
        let domain = AddressText.comparableDomain(of: address)
        var askable: [PrimaryHost] = []
        for host in hostsForDomain(domain) where await health.state(of: host) != .down { askable.append(host) }
        if askable.isEmpty { return whileDown("every primary host for \(domain) is down") }
        // Past the cap the primary is not asked, exactly as if it could not be.
        if let calloutRate, let client, !calloutRate.admit(client, at: clock.now()) {
            return whileDown("client \(client) has had its \(calloutRate.perMinute) callouts this minute ([relay] verify_rate)")
        }
        switch await calloutWithinDeadline(address, askable) {
        case nil:
            return .unverified("the primary did not answer within \(configuration.deadline)")
        case .accepted?:
            return .exists
        case .refused?:
            return .unknownUser
        case .inconclusive(let why)?:
            return .unverified(why)
        case .unreachable(let failure)?:
            return whileDown("no primary host could be reached (\(failure))")
        }
    }

    private func whileDown(_ why: String) -> Verdict {
        configuration.tempfailUnknownWhileDown ? .tryLater : .unverified(why)
    }

    /// The remembered answer, when it is within its TTL. A memory that cannot be read is as
    /// good as empty: the primary is asked instead, or the down rule applies.
    private func freshAnswer(for address: String) async -> RememberedAnswer? {
        let answer: RememberedAnswer?
        do {
            answer = try await memory.recall(address)
        } catch {
            logger.error("cannot read remembered verification answers", metadata: ["error": "\(error)"])
            return nil
        }
        guard let answer else { return nil }
        let ttl = answer.exists ? configuration.positiveTTL : configuration.negativeTTL
        return answer.at.addingTimeInterval(ttl.timeInterval) > clock.now() ? answer : nil
    }

    /// Runs the callout in a task of its own, so the sender waits at most `deadline` while the
    /// answer, however late, is remembered. Nil when the deadline came first.
    private func calloutWithinDeadline(_ address: String, _ hosts: [PrimaryHost]) async -> CalloutAnswer? {
        let deadline = configuration.deadline
        let clock = self.clock
        return await withCheckedContinuation { (continuation: CheckedContinuation<CalloutAnswer?, Never>) in
            let first = FirstAnswer(continuation)
            let timer = Task {
                try? await clock.sleep(for: deadline)
                first.resume(nil)
            }
            Task { [self] in
                let answer = await callout(address, hosts)
                first.resume(answer)
                timer.cancel()
            }
        }
    }

    /// Asks the hosts in order until one is reached, and remembers a final answer.
    private func callout(_ address: String, _ hosts: [PrimaryHost]) async -> CalloutAnswer {
        var answer = CalloutAnswer.unreachable(.unreachable("no host to ask"))
        for host in hosts {
            answer = await client.callout(address, to: host, timeout: configuration.stepTimeout)
            logger.info("recipient callout", metadata: ["address": "\(address)", "host": "\(host)", "answer": "\(answer)"])
            if case .unreachable = answer { continue }
            break
        }
        let remembered: RememberedAnswer? = switch answer {
        case .accepted(let reply): RememberedAnswer(exists: true, at: clock.now(), reply: reply.description)
        case .refused(let reply): RememberedAnswer(exists: false, at: clock.now(), reply: reply.description)
        case .inconclusive, .unreachable: nil
        }
        if let remembered {
            do {
                try await memory.remember(remembered, for: address)
            } catch {
                logger.error("cannot remember a verification answer", metadata: ["address": "\(address)", "error": "\(error)"])
            }
        }
        return answer
    }
}

/// Resumes a continuation with whichever answer comes first; later ones are dropped.
private final class FirstAnswer: Sendable {
    private let continuation: Locked<CheckedContinuation<CalloutAnswer?, Never>?>

    init(_ continuation: CheckedContinuation<CalloutAnswer?, Never>) {
        self.continuation = Locked(continuation)
    }

    func resume(_ answer: CalloutAnswer?) {
        continuation.withLock { $0.take() }?.resume(returning: answer)
    }
}
