import MailAuth
import MailDNS

/// Mail authentication's DNS through the server's one caching resolver: MailAuth asks in its
/// own terms (`AuthDNS`), and the answers keep their four meanings (records, NXDOMAIN, NODATA,
/// temporary failure). Records are those answering the name, its CNAME chain followed.
struct QuerierAuthDNS: AuthDNS {
    let querier: any DNSQuerier

    func txt(_ name: String) async -> AuthDNSAnswer<[UInt8]> {
        await ask(name, .txt) { $0.joinedText }
    }

    func ptr(_ name: String) async -> AuthDNSAnswer<String> {
        await ask(name, .ptr) { if case .ptr(let target) = $0 { target } else { nil } }
    }

    func a(_ name: String) async -> AuthDNSAnswer<MailAuth.IPAddress> {
        await ask(name, .a) { if case .a(let octets) = $0 { MailAuth.IPAddress(bytes: octets) } else { nil } }
    }

    func aaaa(_ name: String) async -> AuthDNSAnswer<MailAuth.IPAddress> {
        await ask(name, .aaaa) { if case .aaaa(let octets) = $0 { MailAuth.IPAddress(bytes: octets) } else { nil } }
    }

    func mx(_ name: String) async -> AuthDNSAnswer<MXRecord> {
        await ask(name, .mx) { record in
            guard case .mx(let preference, let exchange) = record else { return nil }
            return MXRecord(preference: UInt16(clamping: preference), exchange: exchange)
        }
    }

    private func ask<Record>(_ name: String, _ type: DNSRecordType, _ read: (DNSRecord) -> Record?) async -> AuthDNSAnswer<Record> {
        switch await querier.query(name, type: type) {
        case .message(let message):
            // A response that does not parse is no answer to rely on: as a lookup failure.
            guard let answer = try? DNSAnswer(parsing: message) else { return .temporaryFailure }
            let records = answer.records(answering: name).compactMap { read($0.data) }
            return .records(Array(records.prefix(AuthDNSLimits.maxAnswers)))
        case .noSuchDomain: return .nameDoesNotExist
        case .noRecords: return .noData
        case .failed: return .temporaryFailure
        }
    }
}
