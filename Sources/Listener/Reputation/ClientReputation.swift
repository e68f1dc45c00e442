import MailDNS
import SMTPProtocol

/// The client's standing with the configured DNS lists: every list is asked at once, the
/// weights of those that list it are summed, and a sum at `rejectScore` or above refuses it.
/// A list that cannot be asked (timeout, SERVFAIL) counts as not listing: a slow list must
/// not refuse mail, and a sender refused in error would bounce it.
public struct ClientReputation: Sendable {
    public let lists: [DNSList]
    public let rejectScore: Double
    private let dns: any DNSQuerier

    public init(lists: [DNSList], rejectScore: Double, dns: any DNSQuerier) {
        self.lists = lists
        self.rejectScore = rejectScore
        self.dns = dns
    }

    /// What the lists say about `client` (its address as text; anything unparsable is not
    /// looked up).
    public func assess(_ client: String) async -> ReputationVerdict {
        guard let address = IPAddress(parsing: client) else { return ReputationVerdict(listings: [], unanswered: [], refusal: nil) }
        let dns = self.dns
        let outcomes = await withTaskGroup(of: (Int, ListOutcome).self) { group in
            for (index, list) in lists.enumerated() {
                group.addTask { (index, await Self.ask(list, about: address, dns: dns)) }
            }
            var outcomes: [(Int, ListOutcome)] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes.sorted { $0.0 < $1.0 }.map(\.1)
        }
        var listings: [ReputationVerdict.Listing] = []
        var unanswered: [String] = []
        for (list, outcome) in zip(lists, outcomes) {
            switch outcome {
            case .listed(let answers): listings.append(.init(zone: list.zone, weight: list.weight, answers: answers))
            case .notListed: break
            case .unanswered(let why): unanswered.append("\(list.zone): \(why)")
            }
        }
        let score = listings.reduce(0) { $0 + $1.weight }
        var refusal: ClientRefusal?
        let blocking = listings.filter { $0.weight > 0 }
        if score >= rejectScore, !blocking.isEmpty {
            let zones = blocking.map(\.zone).joined(separator: ", ")
            refusal = ClientRefusal(
                reply: SMTPReply(554, .init(5, 7, 1), "Service unavailable; client [\(client)] blocked using \(zones)"),
                reason: .dnsbl,
                rule: blocking.map { "\($0.zone) (weight \($0.weight), answered \($0.answers.map(\.description).joined(separator: " ")))" }
                    .joined(separator: ", ") + "; score \(score) >= reject_score \(rejectScore)")
        }
        return ReputationVerdict(listings: listings, unanswered: unanswered, refusal: refusal)
    }

    enum ListOutcome: Sendable {
        case listed([IPAddress])
        case notListed
        case unanswered(String)
    }

    static func ask(_ list: DNSList, about client: IPAddress, dns: any DNSQuerier) async -> ListOutcome {
        let name = list.queryName(for: client)
        switch await dns.query(name, type: .a) {
        case .noSuchDomain, .noRecords:
            return .notListed
        case .failed(let why):
            return .unanswered(why)
        case .message(let bytes):
            guard let answer = try? DNSAnswer(parsing: bytes) else { return .unanswered("malformed answer") }
            let addresses = answer.records(answering: name).compactMap { record -> IPAddress? in
                if case .a(let octets) = record.data { return IPAddress(octets: octets) }
                return nil
            }
            let counted = addresses.filter(list.counts)
            return counted.isEmpty ? .notListed : .listed(counted)
        }
    }
}

/// What the DNS lists said about one client.
public struct ReputationVerdict: Hashable, Sendable {
    public struct Listing: Hashable, Sendable {
        public var zone: String
        public var weight: Double
        public var answers: [IPAddress]
    }

    public var listings: [Listing]
    /// Lists that could not be asked, with why.
    public var unanswered: [String]
    /// Set when the score reached `reject_score`.
    public var refusal: ClientRefusal?

    public var score: Double { listings.reduce(0) { $0 + $1.weight } }
}
