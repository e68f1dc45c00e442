/// What one query brought back.
public enum DNSResponse: Hashable, Sendable {
    /// NOERROR with records: the response message, to be parsed.
    case message([UInt8])
    /// NXDOMAIN: the name does not exist.
    case noSuchDomain
    /// The name exists without records of that type (NODATA).
    case noRecords
    /// SERVFAIL, a timeout, no resolver: ask again later.
    case failed(String)
}

/// Sends DNS queries. The system resolver in service, canned answers in tests.
public protocol DNSQuerier: Sendable {
    func query(_ name: String, type: DNSRecordType) async -> DNSResponse
}
