import Foundation

/// The tests' own authoritative DNS server (Peers/dns_server.py) on a free loopback port,
/// answering from `records`, each `(name, type, data)` with data as the script reads it (an
/// address for A, a JSON array for TXT). Stopped by PID when the test ends.
struct TestDNS {
    let process: ChildProcess
    let port: Int
    let directory: URL

    /// `delays`: seconds the server waits before answering a name, for a slow list.
    static func start(in directory: URL, records: [(name: String, type: String, data: String)],
                      delays: [String: Double] = [:]) async throws -> TestDNS {
        let python = try Tools.require("python3")
        // TXT data is written as the JSON array of character-strings the script reads, cut every
        // 255 octets (RFC 1035 §3.3): a 2048-bit DKIM key record needs two.
        let zone = records.map { record in
            let strings = stride(from: 0, to: max(1, record.data.utf8.count), by: 255).map { start in
                #""\#(String(decoding: Array(record.data.utf8).dropFirst(start).prefix(255), as: UTF8.self))""#
            }
            let data = record.type == "TXT" ? "[\(strings.joined(separator: ", "))]" : #""\#(record.data)""#
            return #"{"name": "\#(record.name)", "type": "\#(record.type)", "ttl": 300, "data": \#(data)}"#
        }
        let delayed = delays.map { #""\#($0.key)": \#($0.value)"# }.joined(separator: ", ")
        let zoneFile = try directory.write(#"{"records": [\#(zone.joined(separator: ", "))], "delays": {\#(delayed)}}"#,
                                           to: "zone.json")
        let log = directory.appendingPathComponent("dns-queries.log").path
        let process = try ChildProcess(python, [Tools.peersDirectory.appendingPathComponent("dns_server.py").path,
                                                zoneFile.path, "--log", log])
        let ready = await process.output.wait(for: .seconds(20)) { $0.exit != nil || $0.stdoutText.contains("\n") }
        guard ready, let port = Int(process.output.current.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            await process.kill()
            throw SpawnError(description: "dns_server.py did not start: \(process.output.current.stderrText)")
        }
        return TestDNS(process: process, port: port, directory: directory)
    }

    /// `[dns]` pointing backstop at this server, with a short timeout.
    var section: String { "\n[dns]\nservers = [\"127.0.0.1:\(port)\"]\ntimeout = \"1s\"\nattempts = 1\n" }

    /// The queries received so far, as "name TYPE udp|tcp".
    var queries: [String] {
        let text = (try? String(contentsOf: directory.appendingPathComponent("dns-queries.log"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    func stop() async {
        _ = await process.terminate(grace: .seconds(5))
    }
}
