import Forwarder
import MailAuth

/// Mail authentication's DNS through the system resolver the forwarder uses. TXT and PTR
/// answers are read here from the raw response, because `DNSAnswer` keeps only the records
/// routing needs; a resolver that parses them itself makes this file unnecessary.
struct QuerierAuthDNS: AuthDNS {
    let querier: any DNSQuerier

    func txt(_ name: String) async -> AuthDNSAnswer<[UInt8]> {
        await ask(name, .txt) { message in
            AnswerSection.records(in: message, type: DNSRecordType.txt.rawValue).compactMap { rdata in
                AnswerSection.characterStrings(rdata.data)
            }
        }
    }

    func ptr(_ name: String) async -> AuthDNSAnswer<String> {
        await ask(name, .ptr) { message in
            AnswerSection.records(in: message, type: DNSRecordType.ptr.rawValue).compactMap { AnswerSection.name(in: message, at: $0.start) }
        }
    }

    func a(_ name: String) async -> AuthDNSAnswer<MailAuth.IPAddress> { await addresses(name, .a) }
    func aaaa(_ name: String) async -> AuthDNSAnswer<MailAuth.IPAddress> { await addresses(name, .aaaa) }

    func mx(_ name: String) async -> AuthDNSAnswer<MXRecord> {
        await ask(name, .mx) { message in
            guard let answer = try? DNSAnswer(parsing: message) else { return [] }
            return answer.mailExchangers.map { MXRecord(preference: UInt16(clamping: $0.preference), exchange: $0.exchange) }
        }
    }

    private func addresses(_ name: String, _ type: DNSRecordType) async -> AuthDNSAnswer<MailAuth.IPAddress> {
        await ask(name, type) { message in
            guard let answer = try? DNSAnswer(parsing: message) else { return [] }
            return answer.records.compactMap { record in
                switch record {
                case .a(let octets) where type == .a: MailAuth.IPAddress(bytes: octets)
                case .aaaa(let octets) where type == .aaaa: MailAuth.IPAddress(bytes: octets)
                default: nil
                }
            }
        }
    }

    private func ask<Record>(_ name: String, _ type: DNSRecordType, _ parse: ([UInt8]) -> [Record]) async -> AuthDNSAnswer<Record> {
        switch await querier.query(name, type: type) {
        case .message(let message): return .records(Array(parse(message).prefix(AuthDNSLimits.maxAnswers)))
        case .noSuchDomain: return .nameDoesNotExist
        case .noRecords: return .noData
        case .failed: return .temporaryFailure
        }
    }
}
