#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The network a client is counted by, wherever Backstop limits what one client may do
/// (connections, callouts): an attacker owns a whole IPv6 /64, but an IPv4 client seen through
/// a dual-stack socket is its own IPv4 address, not the one /64 every IPv4 client would share.
public enum ClientNetwork {
    /// An IPv4 address as written (also when it arrives IPv4-mapped, `::ffff:a.b.c.d`), an IPv6
    /// address's /64 prefix. Anything else (a Unix socket, "unknown") is its own key.
    public static func key(of address: String) -> String {
        var ipv6 = in6_addr()
        guard inet_pton(AF_INET6, address, &ipv6) == 1 else { return address }
        let bytes = withUnsafeBytes(of: &ipv6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
            return bytes[12...].map(String.init).joined(separator: ".")
        }
        let groups = stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
        return groups.joined(separator: ":") + "::/64"
    }
}
