import BackstopDefaults
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MailNames
import SpoolContract

/// A route whose hosts are looked up for each message: DSNs go to `[bounce] relay`, or without
/// it to the MX of their recipient's domain (the original sender's).
public struct ResolvedRoute: Sendable {
    public let id: RouteID
    public let resolver: any HostResolver
    /// The client for these hosts: not the primary, so with `[bounce] tls` (opportunistic by
    /// default, RFC 7435) whatever `[primary] tls` says.
    public let client: SMTPClient
    /// Messages delivered at the same time, each over its own connection.
    public let concurrency: Int

    public init(id: RouteID, resolver: any HostResolver, client: SMTPClient,
                concurrency: Int = BackstopDefaults.Replay.resolvedRouteConcurrency) {
        precondition(concurrency >= 1, "a route delivers at least one message at a time")
        self.id = id
        self.resolver = resolver
        self.client = client
        self.concurrency = concurrency
    }
}

/// Delivery over a resolved route. Its hosts are not the primaries: the HealthMonitor does not
/// watch them and the route never pauses. A host that cannot be reached is an ordinary
/// deferral with backoff, and a domain that takes no mail fails the recipient — with no DSN,
/// as these messages are DSNs from the null sender themselves.
extension DeliveryScheduler {
    func runResolvedRoute(_ route: ResolvedRoute) async {
        let signal = signals[route.id]!
        while !Task.isCancelled {
            await expireOldMessages(of: route.id)
            guard let jobs = await claimDue(route.id, limit: configuration.messagesPerConnection, signal: signal) else { return }
            if jobs.isEmpty { continue }
            await withTaskGroup(of: Void.self) { group in
                var waiting = jobs[...]
                func startNext() {
                    guard let job = waiting.popFirst() else { return }
                    group.addTask { [self] in await deliverResolved(job, over: route) }
                }
                for _ in 0..<route.concurrency { startNext() }
                for await _ in group { startNext() }
            }
        }
    }

    /// Delivers one message, each recipient domain to its own hosts, and records the outcome
    /// of every recipient in one attempt (one lease, one record).
    func deliverResolved(_ job: DeliveryJob, over route: ResolvedRoute) async {
        if Task.isCancelled {
            await returnLeases([job][...])
            return
        }
        let started = clock.now()
        var outcomes: [RecipientOutcome] = []
        var lastHost: PrimaryHost?
        let byDomain = Dictionary(grouping: job.pendingRecipients) { Self.domain(of: $0.address) }
        for domain in byDomain.keys.sorted() {
            var part = job
            part.recipients = byDomain[domain] ?? []
            switch await route.resolver.mailHosts(for: domain) {
            case .unroutable(let diagnosis):
                logger.warning("no mail host for a DSN's recipient",
                               metadata: ["queue-id": "\(job.queueID)", "domain": "\(domain)", "reason": "\(diagnosis)"])
                let disposition = RecipientDisposition(.unroutable(diagnosis), remoteHost: nil)
                outcomes += part.recipients.map { RecipientOutcome(address: $0.address, disposition: disposition) }
            case .hosts(let hosts):
                let (delivery, host) = await deliverOnce(part, over: hosts, client: route.client)
                outcomes += delivery.outcomes
                lastHost = host ?? lastHost
            }
        }
        let result = MessageDelivery(outcomes: outcomes, connectionFailure: nil, reachedMessage: true)
        await record(job, result, host: lastHost, startedAt: started, countsAsAttempt: true)
    }

    /// The hosts in order until one takes a session (RFC 5321 §5.1: try the next MX when one
    /// cannot be reached); every recipient is deferred when none can.
    private func deliverOnce(_ job: DeliveryJob, over hosts: [PrimaryHost],
                             client: SMTPClient) async -> (MessageDelivery, PrimaryHost?) {
        var last = ConnectionFailure.unreachable("no mail host")
        for host in hosts {
            let session: SMTPSession
            do {
                session = try await client.connect(to: host)
            } catch {
                logger.info("cannot open a session to a mail host", metadata: ["host": "\(host)", "reason": "\(error)"])
                last = error
                continue
            }
            let ledger = self.ledger
            let id = job.queueID
            let result = await session.deliver(job) { offset, maxLength in
                try await ledger.readContent(of: id, offset: offset, maxLength: maxLength)
            }
            await session.quit()
            return (result, host)
        }
        let deferral = RecipientDisposition(.connection(last), remoteHost: hosts.last?.description)
        let outcomes = job.pendingRecipients.map { RecipientOutcome(address: $0.address, disposition: deferral) }
        return (MessageDelivery(outcomes: outcomes, connectionFailure: last, reachedMessage: false), hosts.last)
    }

    /// The domain of an address (what is after its last "@" scalar) as routes compare it:
    /// A-labels, ASCII lowercased.
    static func domain(of address: String) -> String {
        AddressText.comparableDomain(of: address)
    }
}

/// `[bounce] relay`: every DSN goes to the one host the operator configured, trusted as it is
/// written (it may be on loopback), and resolved when connecting.
public struct RelayHostResolver: HostResolver {
    public let relay: PrimaryHost

    public init(relay: PrimaryHost) {
        self.relay = relay
    }

    public func mailHosts(for domain: String) async -> MailHostLookup { .hosts([relay]) }
}
