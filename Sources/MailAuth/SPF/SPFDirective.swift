/// One directive: a qualifier and a mechanism (RFC 7208 §4.6.2, §5).
struct SPFDirective: Sendable {
    var qualifier: SPFResult
    var mechanism: SPFMechanism

    init(parsing term: [UInt8]) throws(SPFAbort) {
        var rest = term[...]
        switch rest.first {
        case UInt8(ascii: "+"): qualifier = .pass; rest = rest.dropFirst()
        case UInt8(ascii: "-"): qualifier = .fail; rest = rest.dropFirst()
        case UInt8(ascii: "~"): qualifier = .softfail; rest = rest.dropFirst()
        case UInt8(ascii: "?"): qualifier = .neutral; rest = rest.dropFirst()
        default: qualifier = .pass
        }
        mechanism = try SPFMechanism(parsing: Array(rest))
    }
}
