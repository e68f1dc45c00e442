import Foundation

/// One step of a dialog that Python's smtplib carries out (see Peers/smtp_dialog.py).
struct SMTPStep: Encodable {
    var op: String
    var label: String?
    var port: Int?
    var source: String?
    var name: String?
    var address: String?
    var options: [String]?
    var line: String?
    var data: String?

    static func connect(_ port: Int, from source: String? = nil) -> SMTPStep {
        SMTPStep(op: "connect", port: port, source: source)
    }
    static func ehlo(_ name: String = "client.test") -> SMTPStep { SMTPStep(op: "ehlo", name: name) }
    static let starttls = SMTPStep(op: "starttls")
    static func mail(_ address: String, _ options: [String] = []) -> SMTPStep {
        SMTPStep(op: "mail", address: address, options: options)
    }
    static func rcpt(_ address: String, _ options: [String] = []) -> SMTPStep {
        SMTPStep(op: "rcpt", address: address, options: options)
    }
    /// A raw command line, for addresses smtplib would rewrite.
    static func command(_ line: String, label: String? = nil) -> SMTPStep {
        SMTPStep(op: "command", label: label, line: line)
    }
    static func data(_ message: [UInt8]) -> SMTPStep {
        SMTPStep(op: "data", data: Data(message).base64EncodedString())
    }
    static let quit = SMTPStep(op: "quit")
}

/// What smtplib got back for one step.
struct SMTPStepResult: Decodable, CustomStringConvertible {
    var op: String
    var label: String?
    var code: Int?
    var text: String?
    var error: String?
    var extensions: [String]?
    var tls_version: String?

    var description: String { "\(op)\(label.map { " [\($0)]" } ?? ""): \(code.map(String.init) ?? "-") \(text ?? error ?? "")" }
    var enhancedCode: String? { text?.split(separator: " ").first.map(String.init) }
    /// "Ok: queued as ID" → ID.
    var queueID: String? {
        guard code == 250, let text, let range = text.range(of: "queued as ") else { return nil }
        return String(text[range.upperBound...].prefix { !$0.isWhitespace })
    }
}

/// Runs the steps with smtplib and returns one result per step.
func smtplibDialog(_ steps: [SMTPStep]) async throws -> [SMTPStepResult] {
    let plan = String(decoding: try JSONEncoder().encode(steps), as: UTF8.self)
    let output = try await Tools.python("smtp_dialog.py", [plan])
    let results = try JSONDecoder().decode([SMTPStepResult].self, from: Data(output))
    guard results.count == steps.count else {
        throw SpawnError(description: "smtp_dialog.py answered \(results.count) steps of \(steps.count)")
    }
    return results
}
