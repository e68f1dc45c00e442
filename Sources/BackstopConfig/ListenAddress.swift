import Foundation

/// An address the SMTP listener binds to, written `"host:port"`: `"0.0.0.0:25"`,
/// `"[::]:25"`, `"[::1]:2525"`, `"localhost:2525"`. IPv6 hosts need brackets so that the
/// port cannot be mistaken for the address's last group.
public struct ListenAddress: Hashable, Sendable, LosslessStringConvertible {
    /// An IPv4 or IPv6 literal (without brackets) or a host name, lowercased.
    public var host: String
    public var port: Int

    /// Whether `host` is an IPv6 literal, which is written in brackets.
    public var isIPv6: Bool { host.contains(":") }

    public var description: String {
        isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public init?(_ description: String) {
        guard let address = try? Self.parse(description) else { return nil }
        self = address
    }

    static func parse(_ text: String) throws(ValueError) -> ListenAddress {
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
                throw ValueError("\(quoted(text)): missing host; write \"0.0.0.0\(text)\" for every IPv4 address or \"[::]\(text)\" for every IPv6 address")
            }
            try validateHost(host, in: text)
        }
        guard portText.allSatisfy({ $0.isASCII && $0.isNumber }), !portText.isEmpty else {
            throw ValueError("\(quoted(text)): port \(quoted(String(portText))) is not a number")
        }
        guard let port = Int(portText), (1...65_535).contains(port) else {
            throw ValueError("\(quoted(text)): port must be between 1 and 65535")
        }
        return ListenAddress(host: host.lowercased(), port: port)
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

    private static func isIPv4Literal(_ host: Substring) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, String(host), &address) == 1
    }

    /// The RFC 5952 spelling, so that "[0:0::1]:25" and "[::1]:25" are one address.
    private static func canonicalIPv6(_ host: Substring) -> String? {
        var address = in6_addr()
        guard inet_pton(AF_INET6, String(host), &address) == 1 else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count)) != nil else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
