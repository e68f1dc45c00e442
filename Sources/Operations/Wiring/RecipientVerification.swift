import BackstopConfig
import Forwarder
import Foundation
import Listener
import MailDNS
import SMTPProtocol
import Logging
import NIOCore
import Spool
import SpoolContract

/// The Listener's `RecipientVerifier`, answered by the Forwarder's `AddressVerifier`: the
/// Listener and the Forwarder meet here, never directly.
struct PrimaryRecipientVerifier: RecipientVerifier {
    let verifier: AddressVerifier
    let logger: Logger

    func verify(_ address: String) async -> RecipientVerdict {
        await answer(address, client: nil)
    }

    func verify(_ address: String, client: String) async -> RecipientVerdict {
        await answer(address, client: client)
    }

    private func answer(_ address: String, client: String?) async -> RecipientVerdict {
        switch await verifier.verify(address, client: client) {
        case .exists:
            return .confirmed
        case .unknownUser:
            logger.info("recipient refused: the primary does not know it", metadata: ["address": "\(address)"])
            return .refuse
        case .unverified(let why):
            logger.info("recipient accepted unverified", metadata: ["address": "\(address)", "reason": "\(why)"])
            return .accept
        case .tryLater:
            logger.info("recipient tempfailed: unverified while the primary is down", metadata: ["address": "\(address)"])
            return .tempfail
        }
    }
}

/// Verification's memory in the spool database (`recipient_verdict`); `SpoolMaintenance` prunes
/// each verdict at its own TTL.
struct SpoolVerificationMemory: VerificationMemory {
    let spool: any SpoolBackend

    func recall(_ address: String) async throws -> RememberedAnswer? {
        try await spool.recipientVerdict(for: address).map { record in
            RememberedAnswer(exists: record.verdict == .accepted, at: record.checkedAt, reply: record.reply)
        }
    }

    func remember(_ answer: RememberedAnswer, for address: String) async throws {
        try await spool.rememberRecipientVerdict(answer.exists ? .accepted : .refused, for: address, at: answer.at,
                                                 reply: answer.reply)
    }
}

extension ForwardingService {
    /// Recipient verification from `[relay]`; the callout asks the hosts of the address's route
    /// with `[primary] probe_timeout` per step, and a sender waits no longer than that in all.
    static func addressVerifier(configuration: BackstopConfiguration, spool: any SpoolBackend, health: HealthMonitor,
                                client: SMTPClient, logger: Logger) -> AddressVerifier {
        let relay = configuration.relay
        let primary = configuration.primary
        return AddressVerifier(
            configuration: .init(positiveTTL: relay.verifyPositiveTTL, negativeTTL: relay.verifyNegativeTTL,
                                 tempfailUnknownWhileDown: relay.verifyUnknownWhenDown == .tempfail,
                                 stepTimeout: primary.probeTimeout, deadline: primary.probeTimeout),
            memory: SpoolVerificationMemory(spool: spool),
            health: health, client: client,
            hostsForDomain: { domain in primary.hosts(for: domain).map(PrimaryHost.init) },
            calloutRate: CalloutRate(perMinute: relay.verifyRate),
            logger: logger)
    }

    /// DSNs from our hostname; none to a sender that failed SPF or DMARC at our listener.
    static func dsnBuilder(_ configuration: BackstopConfiguration) -> DSNBuilder {
        var builder = DSNBuilder(reportingMTA: configuration.server.hostname)
        if configuration.auth.spf || configuration.auth.dmarc {
            builder.authservID = configuration.auth.authservID ?? configuration.server.hostname
        }
        return builder
    }

    /// DSNs go through `[bounce] relay`, or without it to their recipient domain's MX, found
    /// through the server's resolver (`[dns]`), under `[bounce] tls` (opportunistic by
    /// default: MX hosts are anyone's, and most certificates would not verify against MX names).
    /// Either way not a primary: no health probes, no pause, and `[primary] tls` does not apply.
    static func bounceRoute(configuration: BackstopConfiguration, dns: any DNSQuerier, group: any EventLoopGroup,
                            logger: Logger) throws -> ResolvedRoute {
        let primary = configuration.primary
        let tls: TLSPolicy = switch configuration.bounce.tls {
        case .verify: .verify(caFile: nil)
        case .opportunistic: .opportunistic
        case .none: .none
        }
        let client = try SMTPClient(
            configuration: SMTPClientConfiguration(
                hostname: configuration.server.hostname, tls: tls,
                timeouts: SMTPTimeouts(connect: primary.connectTimeout, command: primary.commandTimeout,
                                       data: primary.dataTimeout)),
            group: group, logger: logger)
        let resolver: any HostResolver = if let relay = configuration.bounce.relay {
            RelayHostResolver(relay: PrimaryHost(relay))
        } else {
            MXResolver(dns: dns, localNames: [configuration.server.hostname])
        }
        return ResolvedRoute(id: .bounce, resolver: resolver, client: client)
    }
}
