import Foundation
import Testing

/// An answer from the admin listener, as Python's urllib saw it.
struct HTTPAnswer: Decodable, Sendable {
    var status: Int
    var contentType: String
    var headers: [String: String]
    var body: String

    enum CodingKeys: String, CodingKey {
        case status, headers, body
        case contentType = "content_type"
    }
}

/// GETs `path` from the admin listener with an independent client (Python's urllib).
func adminGet(_ port: Int, _ path: String, token: String? = nil) async throws -> HTTPAnswer {
    let output = try await Tools.python("http_get.py", ["http://127.0.0.1:\(port)\(path)"] + (token.map { [$0] } ?? []))
    return try JSONDecoder().decode(HTTPAnswer.self, from: Data(output))
}

extension BackstopOptions {
    /// Adds `[admin]` on `port`, and `[notify]` lines when given.
    mutating func addAdmin(port: Int, token: String? = nil, notify: [String] = []) {
        sections += ["", "[admin]", "listen = \"127.0.0.1:\(port)\""]
        if let token { sections.append("token = \"\(token)\"") }
        if !notify.isEmpty { sections += ["", "[notify]"] + notify }
    }
}

/// One value of the Prometheus text exposition, e.g. `backstop_queue_messages{state="queued"}`.
func metric(_ name: String, in exposition: String) -> Double? {
    for line in exposition.split(separator: "\n") where !line.hasPrefix("#") {
        let parts = line.split(separator: " ")
        if parts.count >= 2, parts[0] == name { return Double(parts[1]) }
    }
    return nil
}

/// Peers/webhook_receiver.py on a free loopback port: what Backstop POSTs, with arrival times.
final class WebhookReceiver: Sendable {
    struct Event: Sendable {
        /// Unix time the request arrived.
        var arrivedAt: Double
        var answered: Int
        var contentType: String
        var json: [String: any Sendable]
        var kind: String? { json["event"] as? String }
    }

    let port: Int
    let process: ChildProcess
    let isHTTPS: Bool
    var url: String { "\(isHTTPS ? "https" : "http")://127.0.0.1:\(port)/hooks/backstop" }

    /// `tls`: serve HTTPS with this certificate and key (PEM files).
    init(failFirst: Int = 0, tls: (certificate: String, privateKey: String)? = nil) async throws {
        let python = try Tools.require("python3")
        let script = Tools.peersDirectory.appendingPathComponent("webhook_receiver.py").path
        port = try freeLoopbackPort()
        isHTTPS = tls != nil
        let tlsArguments = tls.map { ["--cert", $0.certificate, "--key", $0.privateKey] } ?? []
        process = try ChildProcess(python, [script, "--port", String(port), "--fail-first", String(failFirst)] + tlsArguments)
        guard await process.output.wait(for: .seconds(15), until: { $0.exit != nil || $0.stdoutText.contains("ready ") }),
              process.isRunning else {
            await process.kill()
            throw SpawnError(description: "webhook receiver did not start: \(process.output.current.stderrText)")
        }
    }

    var events: [Event] { Self.parse(process.output.current.stdoutText) }

    /// Waits for an event of `kind` that the receiver answered with `status`.
    func waitFor(_ kind: String, answered status: Int = 200, within timeout: Duration) async throws -> Event {
        _ = await process.output.wait(for: timeout) { output in
            Self.parse(output.stdoutText).contains { $0.kind == kind && $0.answered == status }
        }
        guard let event = events.first(where: { $0.kind == kind && $0.answered == status }) else {
            throw WaitTimeout(description: "no \(kind) event within \(timeout); received:\n\(process.output.current.stdoutText)")
        }
        return event
    }

    func stop() async {
        await process.terminate(grace: .seconds(5))
    }

    private static func parse(_ text: String) -> [Event] {
        text.split(separator: "\n").compactMap { line -> Event? in
            let fields = line.split(separator: " ", maxSplits: 4)
            guard fields.count == 5, fields[0] == "event", let at = Double(fields[1]), let status = Int(fields[2]),
                  let object = try? JSONSerialization.jsonObject(with: Data(fields[4].utf8)) as? [String: Any]
            else { return nil }
            return Event(arrivedAt: at, answered: status, contentType: String(fields[3]),
                         json: object.mapValues { Self.sendable($0) })
        }
    }

    private static func sendable(_ value: Any) -> any Sendable {
        switch value {
        case let text as String: text
        case let number as NSNumber: number.doubleValue
        case let object as [String: Any]: object.mapValues { sendable($0) }
        default: "\(value)"
        }
    }
}
