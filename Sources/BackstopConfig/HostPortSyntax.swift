import Foundation

/// The `"host:port"` grammar of listen addresses, primary hosts and the bounce relay: an
/// IPv4 literal, an IPv6 literal in brackets, or a domain name, then a port. The port is
/// always required, so that a reader never has to guess 25 or 587.
enum HostPortSyntax {
    /// The host lowercased (IPv6 in its RFC 5952 spelling, without brackets) and the port.
    /// `missingHost` says what to write when the text starts with ":".
    static func parse(_ text: String, missingHost: String) throws(ValueError) -> (host: String, port: Int) {
        var host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw ValueError("\(quoted(text)): missing \"]\" after the IPv6 address")
            }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.first == ":" else {
                throw ValueError("\(quoted(text)): missing port; write \(quoted("[\(host)]:25"))")
            }
            portText = rest.dropFirst()
            guard let canonical = canonicalIPv6(host) else {
                throw ValueError("\(quoted(text)): \(quoted(String(host))) is not an IPv6 address")
            }
            host = Substring(canonical)
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw ValueError("\(quoted(text)): missing port; write host:port, e.g. \(quoted(text + ":25"))")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") {
                throw ValueError("\(quoted(text)): put an IPv6 address in brackets, e.g. \"[::1]:25\"")
            }
            guard !host.isEmpty else {
                throw ValueError("\(quoted(text)): missing host; \(missingHost)")
            }
            try validateHost(host, in: text)
        }
        guard portText.allSatisfy({ $0.isASCII && $0.isNumber }), !portText.isEmpty else {
            throw ValueError("\(quoted(text)): port \(quoted(String(portText))) is not a number")
        }
        guard let port = Int(portText), (1...65_535).contains(port) else {
            throw ValueError("\(quoted(text)): port must be between 1 and 65535")
        }
        return (host.lowercased(), port)
    }

    /// A host that looks numeric must be a real IPv4 literal; anything else is a name.
    private static func validateHost(_ host: Substring, in text: String) throws(ValueError) {
        if host.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }) {
            guard isIPv4Literal(host) else {
                throw ValueError("\(quoted(text)): \(quoted(String(host))) is not an IPv4 address")
            }
            return
        }
        do throws(ValueError) {
            _ = try DomainName.validate(String(host))
        } catch {
            throw ValueError("\(quoted(text)): host \(error.problem)")
        }
    }

    static func isIPv4Literal<Text: StringProtocol>(_ host: Text) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, String(host), &address) == 1
    }

    /// The RFC 5952 spelling, so that "[0:0::1]:25" and "[::1]:25" are one address.
    static func canonicalIPv6<Text: StringProtocol>(_ host: Text) -> String? {
        var address = in6_addr()
        guard inet_pton(AF_INET6, String(host), &address) == 1 else { return nil }
        return presentation(of: &address, family: AF_INET6)
    }

    /// `inet_ntop` for an `in_addr` or `in6_addr`.
    static func presentation(of address: UnsafeRawPointer, family: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(family, address, &buffer, socklen_t(buffer.count)) != nil else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
