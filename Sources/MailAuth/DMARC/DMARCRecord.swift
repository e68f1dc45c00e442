/// A DMARC policy record (RFC 7489 §6.3).
public struct DMARCRecord: Sendable, Equatable {
    public enum Policy: String, Sendable {
        case none, quarantine, reject
    }

    public enum Alignment: String, Sendable {
        case relaxed = "r", strict = "s"
    }

    public var policy: Policy
    /// sp=: the policy for subdomains of the organisational domain; p= when absent.
    public var subdomainPolicy: Policy?
    public var dkimAlignment: Alignment
    public var spfAlignment: Alignment
    /// pct=: the share (0…100) of failing mail the policy applies to.
    public var percentage: Int
    public var aggregateReportURIs: [String]

    public enum Failure: Error, Equatable {
        case notDMARC
        case malformed(String)
    }

    /// Whether a TXT record is a DMARC record at all: "v=DMARC1" first (§6.4, §6.6.3).
    static func isDMARC(_ bytes: [UInt8]) -> Bool {
        let trimmed = ASCII.trimmed(bytes)
        let version = Array("v=DMARC1".utf8)
        guard trimmed.starts(with: version) else { return false }
        let rest = trimmed.dropFirst(version.count)
        return rest.isEmpty || rest.first == UInt8(ascii: ";") || ASCII.isWhitespace(rest.first!)
    }

    public init(parsing bytes: [UInt8]) throws(Failure) {
        guard Self.isDMARC(bytes) else { throw .notDMARC }
        let tags: TagList
        do { tags = try TagList(parsing: bytes) } catch { throw .malformed("tag list: \(error)") }
        aggregateReportURIs = (tags.compact("rua") ?? "").split(separator: ",").map(String.init).filter { !$0.isEmpty }
        // §6.6.3: without a valid p=, a record with a valid rua= acts as p=none; without either it is no policy.
        if let p = tags.lowercased("p"), let policy = Policy(rawValue: p) {
            self.policy = policy
        } else if aggregateReportURIs.contains(where: { $0.utf8.starts(with: "mailto:".utf8) }) {
            policy = .none
        } else {
            throw .malformed("no valid p= tag")
        }
        if let sp = tags.lowercased("sp") {
            guard let policy = Policy(rawValue: sp) else { throw .malformed("invalid sp= tag") }
            subdomainPolicy = policy
        }
        dkimAlignment = try Self.alignment(tags.lowercased("adkim"), "adkim")
        spfAlignment = try Self.alignment(tags.lowercased("aspf"), "aspf")
        if let pct = tags.compact("pct") {
            guard !pct.isEmpty, pct.utf8.count <= 3, pct.utf8.allSatisfy(ASCII.isDigit), let value = Int(pct), value <= 100 else {
                throw .malformed("pct= is not 0…100")
            }
            percentage = value
        } else {
            percentage = 100
        }
    }

    private static func alignment(_ value: String?, _ name: String) throws(Failure) -> Alignment {
        guard let value else { return .relaxed }
        guard let alignment = Alignment(rawValue: value) else { throw .malformed("\(name)= is neither r nor s") }
        return alignment
    }
}
