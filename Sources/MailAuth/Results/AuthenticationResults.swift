/// An Authentication-Results header field (RFC 8601): what this host (the authserv-id)
/// found for SPF, each DKIM signature, DMARC and ARC, with the client's address in the SPF
/// comment. Every value is written as an RFC 2045 token or a quoted string and every comment
/// escaped, so nothing a sender controls can end the field or forge another result.
public struct AuthenticationResults: Sendable {
    public var authservID: String
    public var clientIP: IPAddress?
    /// The MAIL FROM identity's SPF verdict (smtp.mailfrom).
    public var mailFromSPF: SPFVerdict?
    /// The HELO identity's SPF verdict (smtp.helo).
    public var heloSPF: SPFVerdict?
    public var helo: String?
    public var dkim: [DKIMVerdict]
    public var dmarc: DMARCVerdict?
    /// The chain validation of ARC sets already on the message (RFC 8617 §4.4.2's arc=).
    public var arc: ARCChainValidation?

    public init(authservID: String, clientIP: IPAddress?, mailFromSPF: SPFVerdict?, heloSPF: SPFVerdict?, helo: String?,
                dkim: [DKIMVerdict], dmarc: DMARCVerdict?, arc: ARCChainValidation?) {
        self.authservID = authservID
        self.clientIP = clientIP
        self.mailFromSPF = mailFromSPF
        self.heloSPF = heloSPF
        self.helo = helo
        self.dkim = dkim
        self.dmarc = dmarc
        self.arc = arc
    }

    /// The results as `resinfo` strings, in the order they are written.
    public var resultInfos: [String] {
        var infos: [String] = []
        let ipComment = clientIP.map { " " + AuthResultsText.comment("client-ip " + $0.description) } ?? ""
        if let spf = mailFromSPF {
            infos.append("spf=\(spf.result.rawValue)\(ipComment) smtp.mailfrom=\(AuthResultsText.value(spf.identity))")
        }
        if let spf = heloSPF, let helo {
            infos.append("spf=\(spf.result.rawValue)\(ipComment) smtp.helo=\(AuthResultsText.value(helo))")
        }
        if dkim.isEmpty {
            infos.append("dkim=none")
        }
        for verdict in dkim {
            var info = "dkim=\(verdict.result.rawValue)"
            if verdict.result != .pass, !verdict.reason.isEmpty { info += " " + AuthResultsText.comment(verdict.reason) }
            if !verdict.domain.isEmpty {
                info += " header.d=\(AuthResultsText.value(verdict.domain)) header.s=\(AuthResultsText.value(verdict.selector))"
                info += " header.i=\(AuthResultsText.value(verdict.identity)) header.a=\(AuthResultsText.value(verdict.algorithm))"
                info += " header.b=\(AuthResultsText.value(verdict.shortSignature))"
            }
            infos.append(info)
        }
        if let dmarc {
            var info = "dmarc=\(dmarc.result.rawValue)"
            if let requested = dmarc.requestedPolicy {
                info += " " + AuthResultsText.comment("p=\(requested.rawValue) dis=\(dmarc.result == .fail ? dmarc.appliedPolicy.rawValue : "none")")
            }
            info += " header.from=\(AuthResultsText.value(dmarc.fromDomain))"
            infos.append(info)
        }
        if let arc {
            infos.append("arc=\(arc.result.rawValue)" + (arc.reason.isEmpty ? "" : " " + AuthResultsText.comment(arc.reason)))
        }
        return infos
    }

    /// The field value after the colon: " authserv-id; resinfo; resinfo", folded one result a line.
    public var fieldValue: String {
        let infos = resultInfos
        return " " + AuthResultsText.value(authservID) + (infos.isEmpty ? "; none" : infos.map { ";\r\n\t" + $0 }.joined())
    }

    /// The whole field, ready to prepend.
    public var field: HeaderField { HeaderField(name: "Authentication-Results", value: fieldValue) }

    /// Whether an Authentication-Results field claims `authservID` (RFC 8601 §5: such fields
    /// arriving from outside are forgeries and are removed before Backstop adds its own).
    public static func claims(_ field: HeaderField, authservID: String) -> Bool {
        guard field.hasName("Authentication-Results") else { return false }
        var value = ASCII.trimmed(field.value)[...]
        // Skip a leading comment, as CFWS allows one before the authserv-id.
        while value.first == UInt8(ascii: "(") {
            guard let close = value.firstIndex(of: UInt8(ascii: ")")) else { return false }
            value = ASCII.trimmed(value[(close + 1)...])
        }
        let id = value.prefix { !ASCII.isWhitespace($0) && $0 != UInt8(ascii: ";") && $0 != UInt8(ascii: "(") }
        let unquoted = id.first == UInt8(ascii: "\"") && id.last == UInt8(ascii: "\"") && id.count >= 2 ? id.dropFirst().dropLast() : id
        return ASCII.equalsIgnoringCase(unquoted, authservID.utf8)
    }
}
