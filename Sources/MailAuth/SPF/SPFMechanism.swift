/// The eight mechanisms of RFC 7208 §5.
enum SPFMechanism: Sendable {
    case all
    case include(SPFMacroString)
    case a(SPFMacroString?, cidr4: Int, cidr6: Int)
    case mx(SPFMacroString?, cidr4: Int, cidr6: Int)
    case ptr(SPFMacroString?)
    case ip4(IPAddress, prefix: Int)
    case ip6(IPAddress, prefix: Int)
    case exists(SPFMacroString)

    /// Whether the mechanism costs one of the ten DNS-querying terms (§4.6.4).
    var queriesDNS: Bool {
        switch self {
        case .all, .ip4, .ip6: return false
        default: return true
        }
    }

    init(parsing bytes: [UInt8]) throws(SPFAbort) {
        let nameEnd = bytes.firstIndex { $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "/") } ?? bytes.endIndex
        let name = ASCII.lowercasedString(bytes[..<nameEnd])
        let hasColon = nameEnd < bytes.endIndex && bytes[nameEnd] == UInt8(ascii: ":")
        let argument = hasColon ? Array(bytes[(nameEnd + 1)...]) : nil
        let suffix = Array(bytes[nameEnd...])
        switch name {
        case "all":
            guard suffix.isEmpty else { throw .permerror("all takes no argument") }
            self = .all
        case "include", "exists":
            guard let argument, !argument.isEmpty else { throw .permerror("\(name) needs a domain") }
            let spec = try SPFMacroString(domainSpec: argument)
            self = name == "include" ? .include(spec) : .exists(spec)
        case "a", "mx":
            let (spec, cidr4, cidr6) = try Self.domainAndCIDR(hasColon ? argument ?? [] : suffix, hasDomain: hasColon)
            self = name == "a" ? .a(spec, cidr4: cidr4, cidr6: cidr6) : .mx(spec, cidr4: cidr4, cidr6: cidr6)
        case "ptr":
            if hasColon {
                guard let argument, !argument.isEmpty else { throw .permerror("ptr: needs a domain") }
                self = .ptr(try SPFMacroString(domainSpec: argument))
            } else {
                guard suffix.isEmpty else { throw .permerror("ptr takes no CIDR") }
                self = .ptr(nil)
            }
        case "ip4", "ip6":
            guard let argument, !argument.isEmpty else { throw .permerror("\(name) needs a network") }
            let slash = argument.firstIndex(of: UInt8(ascii: "/"))
            let text = String(decoding: argument[..<(slash ?? argument.endIndex)], as: UTF8.self)
            let maximum = name == "ip4" ? 32 : 128
            guard let address = IPAddress(text), address.isIPv4 == (name == "ip4") else { throw .permerror("bad \(name) address") }
            let prefix = try slash.map { index throws(SPFAbort) in try Self.cidrLength(argument[(index + 1)...], maximum: maximum) } ?? maximum
            self = name == "ip4" ? .ip4(address, prefix: prefix) : .ip6(address, prefix: prefix)
        default:
            throw .permerror("unknown mechanism \(name)")
        }
    }

    /// `[":" domain-spec] [ip4-cidr-length] ["/" ip6-cidr-length]` of a and mx (§5.3, §5.4).
    /// The lengths are taken from the end: a domain-spec may itself hold "/" (§7.1).
    private static func domainAndCIDR(_ bytes: [UInt8], hasDomain: Bool) throws(SPFAbort) -> (SPFMacroString?, Int, Int) {
        var rest = bytes[...]
        var cidr4 = 32, cidr6 = 128
        if let (digits, before) = trailingLength(rest), before.last == UInt8(ascii: "/") {
            cidr6 = try cidrLength(digits, maximum: 128)
            rest = before.dropLast()
        }
        if let (digits, before) = trailingLength(rest) {
            cidr4 = try cidrLength(digits, maximum: 32)
            rest = before
        }
        guard hasDomain else {
            guard rest.isEmpty else { throw .permerror("bad mechanism suffix") }
            return (nil, cidr4, cidr6)
        }
        guard !rest.isEmpty else { throw .permerror("empty domain") }
        return (try SPFMacroString(domainSpec: Array(rest)), cidr4, cidr6)
    }

    /// A trailing "/" digits: the digits and what precedes the "/".
    private static func trailingLength(_ bytes: ArraySlice<UInt8>) -> (ArraySlice<UInt8>, ArraySlice<UInt8>)? {
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return nil }
        let digits = bytes[(slash + 1)...]
        guard !digits.isEmpty, digits.allSatisfy(ASCII.isDigit) else { return nil }
        return (digits, bytes[..<slash])
    }

    /// A CIDR length: decimal without a leading zero (§12: "0" / %x31-39 0*2DIGIT), at most `maximum`.
    private static func cidrLength(_ digits: ArraySlice<UInt8>, maximum: Int) throws(SPFAbort) -> Int {
        guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy(ASCII.isDigit),
              digits.count == 1 || digits.first != UInt8(ascii: "0") else { throw .permerror("bad CIDR length") }
        let value = digits.reduce(0) { $0 * 10 + Int($1 - 48) }
        guard value <= maximum else { throw .permerror("CIDR length \(value) above \(maximum)") }
        return value
    }
}

extension SPFMechanism {
    /// The mechanism's name as written in records, for reasons and logs.
    var name: String {
        switch self {
        case .all: return "all"
        case .include: return "include"
        case .a: return "a"
        case .mx: return "mx"
        case .ptr: return "ptr"
        case .ip4: return "ip4"
        case .ip6: return "ip6"
        case .exists: return "exists"
        }
    }
}
