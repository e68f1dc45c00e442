import MailAuth

/// An in-memory DNS zone for the MailAuth tests: names map to records of each type; a name
/// not in the table is NXDOMAIN, a name without the asked type is NODATA, and `timeout`
/// (for the whole name or listed types) is a temporary failure.
struct TestZone: AuthDNS {
    struct Entry: Sendable {
        var txt: [[UInt8]] = []
        var a: [IPAddress] = []
        var aaaa: [IPAddress] = []
        var mx: [MXRecord] = []
        var ptr: [String] = []
        var cname: String? = nil
        /// Queries for a type the name has no records of time out.
        var timeout = false
    }

    var entries: [String: Entry] = [:]

    subscript(name: String) -> Entry {
        get { entries[Self.key(name)] ?? Entry() }
        set { entries[Self.key(name)] = newValue }
    }

    mutating func addTXT(_ name: String, _ text: String) { self[name].txt.append(Array(text.utf8)) }
    mutating func addA(_ name: String, _ address: String) { self[name].a.append(IPAddress(address)!) }
    mutating func addAAAA(_ name: String, _ address: String) { self[name].aaaa.append(IPAddress(address)!) }
    mutating func addMX(_ name: String, _ preference: UInt16, _ exchange: String) {
        self[name].mx.append(MXRecord(preference: preference, exchange: exchange))
    }
    mutating func addPTR(_ name: String, _ target: String) { self[name].ptr.append(target) }
    mutating func setTimeout(_ name: String) { self[name].timeout = true }

    static func key(_ name: String) -> String {
        var bytes = Array(name.utf8.map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 })
        if bytes.last == UInt8(ascii: ".") { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func answer<Record>(_ name: String, _ records: (Entry) -> [Record], followCNAME: Bool = true) -> AuthDNSAnswer<Record> {
        let key = Self.key(name)
        guard let entry = entries[key] else {
            // The OpenSPF suite's driver treats any name under "error." as a DNS failure.
            return key.hasPrefix("error.") ? .temporaryFailure : .nameDoesNotExist
        }
        let found = records(entry)
        if !found.isEmpty { return .records(found) }
        if followCNAME, let target = entry.cname { return answer(target, records, followCNAME: false) }
        return entry.timeout ? .temporaryFailure : .noData
    }

    func txt(_ name: String) async -> AuthDNSAnswer<[UInt8]> { answer(name) { $0.txt } }
    func a(_ name: String) async -> AuthDNSAnswer<IPAddress> { answer(name) { $0.a } }
    func aaaa(_ name: String) async -> AuthDNSAnswer<IPAddress> { answer(name) { $0.aaaa } }
    func mx(_ name: String) async -> AuthDNSAnswer<MXRecord> { answer(name) { $0.mx } }
    func ptr(_ name: String) async -> AuthDNSAnswer<String> { answer(name) { $0.ptr } }
}
