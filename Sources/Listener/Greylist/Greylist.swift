import Foundation
import Logging
import MailDNS
import SMTPProtocol
import SpoolContract

/// Greylisting at RCPT (`[greylist]`): the first attempt of a (client network, sender,
/// recipient) triple is asked to retry, and so is every retry until `delay` has passed since
/// that first attempt; after that the triple passes. The triples live in the spool database.
public struct Greylist: Sendable {
    public enum Verdict: Hashable, Sendable {
        case pass
        case retry(ClientRefusal)
    }

    let triples: any GreylistTriples
    let delay: Duration
    private let now: @Sendable () -> Date
    private let logger: Logger

    /// - Parameter now: the wall clock; tests pass one they move.
    public init(triples: any GreylistTriples, delay: Duration, now: @escaping @Sendable () -> Date, logger: Logger) {
        self.triples = triples
        self.delay = delay
        self.now = now
        self.logger = logger
    }

    /// `sender`: the reverse-path without brackets (empty for the null sender).
    public func check(client: String, sender: String, recipient: String) async -> Verdict {
        let triple = GreylistTriple(clientNetwork: Self.network(of: client), sender: sender, recipient: recipient)
        let at = now()
        let firstSeen: Date
        do {
            firstSeen = try await triples.sightGreylistTriple(triple, at: at)
        } catch {
            // Greylisting only filters spam: a spool that cannot be asked must not hold up mail.
            logger.warning("greylisting skipped for [\(client)]: cannot read the triples: \(error)")
            return .pass
        }
        let waited = at.timeIntervalSince(firstSeen)
        let required = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
        guard waited < required else { return .pass }
        let left = max(1, Int((required - waited).rounded(.up)))
        return .retry(ClientRefusal(
            reply: SMTPReply(451, .init(4, 7, 1), "Greylisted; please try again in \(left) seconds"),
            reason: .greylist,
            rule: "[greylist] delay = \(Int(required))s, first seen \(Int(waited))s ago (\(triple.clientNetwork), <\(sender)>, <\(recipient)>)"))
    }

    /// The client's network: an IPv4 address's /24, an IPv6 address's /64 (an IPv4-mapped one
    /// is its IPv4), anything else as it is written.
    static func network(of client: String) -> String {
        guard let address = IPAddress(parsing: client) else { return client }
        let octets = DNSList.unmapped(address.octets)
        if octets.count == 4 { return "\(octets[0]).\(octets[1]).\(octets[2]).0/24" }
        let groups = stride(from: 0, to: 8, by: 2).map { String(UInt16(octets[$0]) << 8 | UInt16(octets[$0 + 1]), radix: 16) }
        return groups.joined(separator: ":") + "::/64"
    }
}
