import CResolv

/// Queries the system resolver (libresolv, `/etc/resolv.conf`). `res_nquery` blocks, so each
/// query runs on DNS's own bounded pool: never on a NIO event loop, Swift's cooperative pool,
/// or the thread pool the spool's file I/O uses.
public struct SystemResolver: DNSQuerier {
    private let pool: DNSLookupPool

    public init(pool: DNSLookupPool) {
        self.pool = pool
    }

    public func query(_ name: String, type: DNSRecordType) async -> DNSResponse {
        do {
            return try await pool.run { Self.blockingQuery(name, type: type) }
        } catch let overloaded as DNSLookupPool.Overloaded {
            return .failed("the DNS lookup of \(name) \(type) was not started: \(overloaded)")
        } catch {
            return .failed("the resolver's thread pool is not running: \(error)")
        }
    }

    static func blockingQuery(_ name: String, type: DNSRecordType) -> DNSResponse {
        // The largest DNS message there is: a truncated UDP answer is retried over TCP by libresolv.
        var answer = [UInt8](repeating: 0, count: 65_535)
        var status: Int32 = 0
        let length = answer.withUnsafeMutableBufferPointer { buffer in
            cresolv_query(name, Int32(type.rawValue), buffer.baseAddress, Int32(buffer.count), &status)
        }
        guard length >= 0 else {
            switch status {
            case Int32(CRESOLV_NO_SUCH_DOMAIN): return .noSuchDomain
            case Int32(CRESOLV_NO_DATA): return .noRecords
            case Int32(CRESOLV_TRY_AGAIN): return .failed("no answer from the DNS servers for \(name) \(type) (timeout or SERVFAIL)")
            default: return .failed("the DNS lookup of \(name) \(type) failed; check /etc/resolv.conf")
            }
        }
        return .message(Array(answer.prefix(Int(length))))
    }
}
