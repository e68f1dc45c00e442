import Foundation
import MailDNS

/// One record of a test zone, as Tests/EndToEndTests/Peers/dns_server.py reads it.
struct ZoneRecord: Encodable {
    var name: String
    var type: String
    var ttl: Int = 300
    var data: ZoneData

    enum ZoneData: Encodable {
        case text(String)
        case strings([String])
        case mx(Int, String)

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .text(let text): try container.encode(text)
            case .strings(let strings): try container.encode(strings)
            case .mx(let preference, let exchange):
                var list = encoder.unkeyedContainer()
                try list.encode(preference)
                try list.encode(exchange)
            }
        }
    }
}

/// The tests' own authoritative DNS server on a free loopback UDP and TCP port, started for a
/// test and stopped by its PID. It logs every query it receives, so a test can tell a cached
/// answer (no query) from a fresh one.
final class TestDNSServer: @unchecked Sendable {
    let port: Int
    let host: String
    private let process: Process
    private let directory: URL

    struct StartError: Error, CustomStringConvertible {
        let description: String
    }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("EndToEndTests/Peers/dns_server.py").path

    init(_ records: [ZoneRecord], host: String = "127.0.0.1", silent: Bool = false) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("backstop-dns-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let zone = directory.appendingPathComponent("zone.json")
        struct Zone: Encodable { var records: [ZoneRecord] }
        try JSONEncoder().encode(Zone(records: records)).write(to: zone)
        self.host = host
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.script, zone.path, "--host", host,
                             "--log", directory.appendingPathComponent("queries.log").path] + (silent ? ["--silent"] : [])
        let stdout = Pipe()
        process.standardOutput = stdout
        try process.run()
        // The first line is the port, written once both sockets listen; EOF means it failed.
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = stdout.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += chunk
        }
        guard let text = String(data: line, encoding: .utf8), let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.terminate()
            throw StartError(description: "dns_server.py did not start (output \(String(decoding: line, as: UTF8.self)))")
        }
        self.port = port
    }

    var nameServer: NameServer {
        NameServer(address: IPAddress(parsing: host)!, port: port)
    }

    /// The queries received so far, as "name TYPE udp|tcp".
    var queries: [String] {
        let log = (try? String(contentsOf: directory.appendingPathComponent("queries.log"), encoding: .utf8)) ?? ""
        return log.split(separator: "\n").map(String.init)
    }

    func stop() {
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { if process.isRunning { stop() } }
}

/// A resolver of the test's own: libresolv to `server` on a pool of two threads.
func resolver(_ servers: [NameServer], timeout: Duration = .seconds(2), attempts: Int = 1) -> (SystemResolver, DNSLookupPool) {
    let pool = DNSLookupPool(threads: 2, maxPending: 16)
    return (SystemResolver(pool: pool, configuration: ResolverConfiguration(servers: servers, timeout: timeout, attempts: attempts)), pool)
}

/// Whether this machine has an IPv6 loopback to bind.
let hasIPv6Loopback: Bool = {
    let descriptor = socket(AF_INET6, Int32(SOCK_DGRAM.rawValue), 0)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    var address = sockaddr_in6()
    address.sin6_family = sa_family_t(AF_INET6)
    address.sin6_addr = in6addr_loopback
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
    } == 0
}()
