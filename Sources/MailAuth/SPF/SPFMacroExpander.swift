/// Expands macro-strings (RFC 7208 §7.3) with an output bound: a record cannot make
/// Backstop build a long string out of a short one.
struct SPFMacroExpander {
    let evaluation: SPFEvaluation

    func expand(_ string: SPFMacroString, current: String, limit: Int) async throws(SPFAbort) -> [UInt8] {
        var output: [UInt8] = []
        for piece in string.pieces {
            switch piece {
            case .literal(let bytes):
                output += bytes
            case .macro(let macro):
                output += macro.transform(await value(of: macro.letter, current: current))
            }
            guard output.count <= limit else { throw .permerror("macro expansion longer than \(limit) bytes") }
        }
        return output
    }

    private func value(of letter: UInt8, current: String) async -> [UInt8] {
        let context = evaluation.context
        switch letter {
        case UInt8(ascii: "s"): return context.sender
        case UInt8(ascii: "l"): return context.local
        case UInt8(ascii: "o"): return context.senderDomain
        case UInt8(ascii: "d"): return Array(current.utf8)
        case UInt8(ascii: "i"): return context.clientForMacro
        case UInt8(ascii: "c"): return Array(context.client.description.utf8)
        case UInt8(ascii: "v"): return Array((context.client.isIPv4 ? "in-addr" : "ip6").utf8)
        case UInt8(ascii: "h"): return context.helo
        case UInt8(ascii: "r"): return context.receivingHost.isEmpty ? Array("unknown".utf8) : context.receivingHost
        case UInt8(ascii: "t"): return Array(String(context.timestamp).utf8)
        case UInt8(ascii: "p"): return await validatedName(current: current)
        default: return []
        }
    }

    /// `%{p}` (§7.3): a validated name equal to or below the current domain if there is one,
    /// else any validated name, else "unknown".
    private func validatedName(current: String) async -> [UInt8] {
        let names = await evaluation.validatedNames()
        let chosen = names.first { SPFDomainName.isSameOrBelow($0, current) } ?? names.first
        return Array((chosen ?? "unknown").utf8)
    }
}
