import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// How the fake primary answers (Peers/fake_primary.py); what is not set is accepted with 250.
struct PrimaryScript: Sendable {
    var greeting: (code: Int, text: String)?
    /// Replies to RCPT TO for chosen addresses, e.g. `["later@example.test": (450, "4.2.1 busy")]`.
    var rcpt: [String: (code: Int, text: String)] = [:]
    /// Delay after the final dot, before the message is stored and answered.
    var dataDelayMilliseconds = 0
    /// Delay after a message is stored, before its 250: the message is taken, its sender does not know yet.
    var replyDelayMilliseconds = 0
    /// The most messages the primary takes (counted across restarts): the final dot of a later
    /// one waits, unanswered, until a new script raises or drops the limit. A test sets the pace.
    var acceptLimit: Int?
    /// The extension lines of the EHLO reply; nil: the script's default (PIPELINING, 8BITMIME,
    /// SMTPUTF8, DSN, SIZE 104857600).
    var ehloExtensions: [String]?

    var json: String {
        var object: [String: Any] = [:]
        if let greeting { object["greeting"] = [greeting.code, greeting.text] as [Any] }
        if !rcpt.isEmpty { object["rcpt"] = rcpt.mapValues { [$0.code, $0.text] as [Any] } }
        if dataDelayMilliseconds > 0 { object["data_delay_ms"] = dataDelayMilliseconds }
        if replyDelayMilliseconds > 0 { object["reply_delay_ms"] = replyDelayMilliseconds }
        if let acceptLimit { object["accept_limit"] = acceptLimit }
        if let ehloExtensions { object["ehlo_extensions"] = ehloExtensions }
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}

/// One message as the fake primary took it.
struct ReceivedMessage: Decodable, Sendable {
    var seq: Int
    /// Unix time at which the final dot was taken.
    var receivedAt: Double
    var session: Int
    var mailFrom: String
    var mailParams: [String]
    /// The recipients the primary accepted in that transaction.
    var rcptTo: [String]
    /// The DATA bytes after dot-unstuffing.
    var data: [UInt8]
    /// Python's SHA-256 of `data` after its first header field.
    var sha256AfterFirstField: String

    enum CodingKeys: String, CodingKey {
        case seq, session, data
        case receivedAt = "received_at", mailFrom = "mail_from", mailParams = "mail_params", rcptTo = "rcpt_to"
        case sha256AfterFirstField = "sha256_after_first_field"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        seq = try container.decode(Int.self, forKey: .seq)
        receivedAt = try container.decode(Double.self, forKey: .receivedAt)
        session = try container.decode(Int.self, forKey: .session)
        mailFrom = try container.decode(String.self, forKey: .mailFrom)
        mailParams = try container.decode([String].self, forKey: .mailParams)
        rcptTo = try container.decode([String].self, forKey: .rcptTo)
        let base64 = try container.decode(String.self, forKey: .data)
        guard let decoded = Data(base64Encoded: base64) else {
            throw DecodingError.dataCorruptedError(forKey: .data, in: container, debugDescription: "not base64")
        }
        data = [UInt8](decoded)
        sha256AfterFirstField = try container.decode(String.self, forKey: .sha256AfterFirstField)
    }

    /// The message as Backstop received it: `data` without the Received: header it prepended.
    var original: StoredMessage? { StoredMessage(data) }
    var messageID: String? { headerField("Message-ID", in: data) }
    var text: String { String(decoding: data, as: UTF8.self) }
}

/// The value of the first header field called `name` (unfolded), or nil.
func headerField(_ name: String, in message: [UInt8]) -> String? {
    let text = String(decoding: message, as: UTF8.self)
    let header = text.components(separatedBy: "\r\n\r\n").first ?? text
    let unfolded = header.replacingOccurrences(of: "\r\n ", with: " ").replacingOccurrences(of: "\r\n\t", with: " ")
    for line in unfolded.components(separatedBy: "\r\n") {
        guard let colon = line.firstIndex(of: ":"), line[..<colon].lowercased() == name.lowercased() else { continue }
        return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    return nil
}

struct WaitTimeout: Error, CustomStringConvertible {
    let description: String
}

/// A fake primary mail host at a fixed port, with a directory of what it received and a script
/// file. It can be started, stopped and started again on the same port (by PID); what it
/// received stays in the directory and its numbering goes on.
final class FakePrimary: Sendable {
    let port: Int
    let directory: URL
    let scriptFile: URL
    private let running = Mutex<ChildProcess?>(nil)

    var address: String { "127.0.0.1:\(port)" }
    var process: ChildProcess? { running.withLock { $0 } }

    /// `name` is the sub-directory of `parent` for its messages and script.
    init(in parent: URL, name: String, script: PrimaryScript = PrimaryScript()) throws {
        port = try freeLoopbackPort()
        directory = parent.appendingPathComponent(name, isDirectory: true)
        scriptFile = parent.appendingPathComponent("\(name)-script.json")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try setScript(script)
    }

    deinit {
        running.withLock { $0?.signal(SIGKILL) }
    }

    /// Replaces the script at once, atomically: the next session answers by the new one.
    func setScript(_ script: PrimaryScript) throws {
        let temporary = scriptFile.deletingLastPathComponent().appendingPathComponent(".\(scriptFile.lastPathComponent).tmp")
        try Data(script.json.utf8).write(to: temporary)
        guard rename(temporary.path, scriptFile.path) == 0 else { throw SocketError.system("rename script", errno) }
    }

    /// Starts the server and returns the Unix time it started listening.
    @discardableResult
    func start() async throws -> Double {
        let python = try Tools.require("python3")
        let script = Tools.peersDirectory.appendingPathComponent("fake_primary.py").path
        let process = try ChildProcess(python, [script, "--port", String(port), "--store", directory.path,
                                                "--script", scriptFile.path])
        let ready = await process.output.wait(for: .seconds(15)) { $0.exit != nil || $0.stdoutText.contains("ready ") }
        let output = process.output.current
        guard ready, output.exit == nil,
              let line = output.stdoutText.split(separator: "\n").first(where: { $0.hasPrefix("ready ") }),
              let started = line.split(separator: "started=").last.flatMap({ Double($0) })
        else {
            await process.kill()
            throw SpawnError(description: "fake primary did not start on port \(port):\n\(output.stdoutText)\(output.stderrText)")
        }
        running.withLock { $0 = process }
        return started
    }

    /// SIGTERM by PID and wait for the exit.
    func stop() async {
        guard let process = running.withLock({ current -> ChildProcess? in
            defer { current = nil }
            return current
        }) else { return }
        await process.terminate(grace: .seconds(5))
    }

    /// Everything received so far, in arrival order.
    func messages() throws -> [ReceivedMessage] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted()
        let decoder = JSONDecoder()
        return try names.map { try decoder.decode(ReceivedMessage.self, from: Data(contentsOf: directory.appendingPathComponent($0))) }
    }

    /// Waits until at least `count` messages have arrived (counted across restarts) and returns all.
    @discardableResult
    func waitForMessages(_ count: Int, within timeout: Duration) async throws -> [ReceivedMessage] {
        if let process, try messages().count < count {
            _ = await process.output.wait(for: timeout) { output in
                output.exit != nil || Self.lastSequenceNumber(in: output.stdoutText) >= count
            }
        }
        let all = try messages()
        guard all.count >= count else {
            throw WaitTimeout(description: "only \(all.count) of \(count) messages reached the fake primary on port \(port) within \(timeout)")
        }
        return all
    }

    /// Waits until the running server's event lines (see fake_primary.py) satisfy `condition`.
    func waitForEvents(within timeout: Duration, _ what: String,
                       until condition: @escaping @Sendable ([Substring]) -> Bool) async throws {
        guard let process else { throw WaitTimeout(description: "the fake primary is not running; waited for \(what)") }
        let met = await process.output.wait(for: timeout) { condition($0.stdoutText.split(separator: "\n")) }
        guard met else {
            throw WaitTimeout(description: "fake primary on port \(port): no \(what) within \(timeout); events:\n\(process.output.current.stdoutText)")
        }
    }

    private static func lastSequenceNumber(in events: String) -> Int {
        guard let line = events.split(separator: "\n").last(where: { $0.hasPrefix("message ") }) else { return 0 }
        return Int(line.split(separator: " ")[1]) ?? 0
    }
}
