import CResolv

/// Queries through libresolv: the configured name servers, or the system's
/// (`/etc/resolv.conf`). `res_nquery` blocks, so each query runs on DNS's own bounded pool:
/// never on a NIO event loop, Swift's cooperative pool, or the thread pool the spool's file
/// I/O uses. A truncated UDP answer is asked again over TCP by libresolv.
public struct SystemResolver: DNSQuerier {
    private let pool: DNSLookupPool
    private let configuration: ResolverConfiguration

    public init(pool: DNSLookupPool, configuration: ResolverConfiguration) {
        self.pool = pool
        self.configuration = configuration
    }

    public func query(_ name: String, type: DNSRecordType) async -> DNSResponse {
        let configuration = self.configuration
        do {
            return try await pool.run { Self.blockingQuery(name, type: type, configuration: configuration) }
        } catch let overloaded as DNSLookupPool.Overloaded {
            return .failed("the DNS lookup of \(name) \(type) was not started: \(overloaded)")
        } catch {
            return .failed("the resolver's thread pool is not running: \(error)")
        }
    }

    static func blockingQuery(_ name: String, type: DNSRecordType, configuration: ResolverConfiguration) -> DNSResponse {
        // The largest DNS message there is.
        var answer = [UInt8](repeating: 0, count: 65_535)
        var status: Int32 = 0
        let servers = configuration.servers.map { server in
            var raw = cresolv_server()
            withUnsafeMutableBytes(of: &raw.address) { $0.copyBytes(from: server.address.octets) }
            raw.address_length = Int32(server.address.octets.count)
            raw.port = UInt16(clamping: server.port)
            return raw
        }
        let length = servers.withUnsafeBufferPointer { servers in
            var options = cresolv_options(servers: servers.baseAddress, server_count: Int32(servers.count),
                                          timeout_seconds: configuration.timeoutSeconds,
                                          attempts: Int32(clamping: configuration.attempts))
            return answer.withUnsafeMutableBufferPointer { buffer in
                cresolv_query(name, Int32(type.rawValue), &options, buffer.baseAddress, Int32(buffer.count), &status)
            }
        }
        guard length >= 0 else {
            let asked = configuration.servers.isEmpty
                ? "the system's DNS servers" : configuration.servers.map(\.description).joined(separator: ", ")
            switch status {
            case Int32(CRESOLV_NO_SUCH_DOMAIN): return .noSuchDomain
            case Int32(CRESOLV_NO_DATA): return .noRecords
            case Int32(CRESOLV_TRY_AGAIN): return .failed("no answer from \(asked) for \(name) \(type) (timeout or SERVFAIL)")
            case Int32(CRESOLV_BAD_SERVER): return .failed("the DNS servers \(asked) cannot be used by libresolv")
            default: return .failed("the DNS lookup of \(name) \(type) failed; check [dns] servers or /etc/resolv.conf")
            }
        }
        return .message(Array(answer.prefix(Int(length))))
    }
}
