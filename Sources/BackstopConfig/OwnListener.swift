import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Recognises a `MailHost` that would reach one of Backstop's own listeners, so that a
/// primary or bounce relay pointing back at Backstop is refused at startup instead of
/// looping mail. Names are not resolved (checking a file must not depend on DNS): a name
/// matches when it is the listener's own name, `[server] hostname`, or `localhost`.
enum OwnListener {
    /// The listen address a connection to `host` would reach, if any.
    static func reached(by host: MailHost, server: ServerSettings) -> ListenAddress? {
        server.listen.first { listen in
            listen.port == host.port
                && reaches(unmapped(host.name), unmapped(listen.host), hostname: server.hostname)
        }
    }

    /// The problem to report when `reached(by: host)` found `listen`; `consequence` says
    /// what would go wrong.
    static func problem(_ host: MailHost, _ listen: ListenAddress, consequence: String) -> String {
        "\(quoted(host.description)) is Backstop itself ([server] listen has \(quoted(listen.description))): \(consequence)"
    }

    private static func reaches(_ target: String, _ listenHost: String, hostname: String) -> Bool {
        if target == listenHost || target == hostname { return true }
        switch listenHost {
        case "0.0.0.0":
            // IPv4 only: an IPv6 literal cannot reach it, a name may resolve to IPv4.
            return !target.contains(":") && isThisMachine(target)
        case "::":
            // A dual-stack socket, Linux's default, takes IPv4 connections too.
            return isThisMachine(target)
        default:
            // A loopback listener is reached through "localhost" and the reverse.
            return (isLocalhostName(target) && isLoopback(listenHost))
                || (isLocalhostName(listenHost) && isLoopback(target))
        }
    }

    /// "::ffff:192.0.2.1" reaches what "192.0.2.1" reaches (RFC 4291 §2.5.5.2).
    static func unmapped(_ host: String) -> String {
        let ipv4 = host.dropFirst(7)
        return host.hasPrefix("::ffff:") && HostPortSyntax.isIPv4Literal(ipv4) ? String(ipv4) : host
    }

    private static func isThisMachine(_ host: String) -> Bool {
        isLoopback(host) || interfaceAddresses().contains(host)
    }

    /// RFC 6761 §6.3: "localhost" and names under it are this machine.
    private static func isLocalhostName(_ host: String) -> Bool {
        host == "localhost" || host.hasSuffix(".localhost")
    }

    static func isLoopback(_ host: String) -> Bool {
        isLocalhostName(host) || host == "::1" || (host.hasPrefix("127.") && HostPortSyntax.isIPv4Literal(host))
    }

    /// The addresses of this machine's network interfaces, spelt as `MailHost` stores them.
    private static func interfaceAddresses() -> Set<String> {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return [] }
        defer { freeifaddrs(list) }
        var addresses = Set<String>()
        for entry in sequence(first: first, next: { $0.pointee.ifa_next }) {
            guard let address = entry.pointee.ifa_addr else { continue }
            let family = Int32(address.pointee.sa_family)
            let text: String? = switch family {
            case AF_INET:
                address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { ipv4 in
                    var raw = ipv4.pointee.sin_addr
                    return HostPortSyntax.presentation(of: &raw, family: family)
                }
            case AF_INET6:
                address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { ipv6 in
                    var raw = ipv6.pointee.sin6_addr
                    return HostPortSyntax.presentation(of: &raw, family: family)
                }
            default:
                nil
            }
            if let text { addresses.insert(text) }
        }
        return addresses
    }
}
