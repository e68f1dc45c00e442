@testable import SMTPProtocol
import Testing
@testable import Listener

/// The relay domains every session test runs with.
let testDomains = ["example.org", ".example.com"]
let testHostname = "mx2.example.net"

func makeMachine(tls: Bool = false, maxMessageSize: Int = 10_000_000, maxErrors: Int = 20,
                 directory: (any RecipientDirectory)? = nil, verify: Bool = false) -> SessionStateMachine {
    SessionStateMachine(
        settings: SessionSettings(hostname: testHostname, maxMessageSize: maxMessageSize, maxErrors: maxErrors),
        policy: RelayPolicy(domains: testDomains, directory: directory, verifiesRecipients: verify),
        tlsAvailable: tls)
}

extension SessionStateMachine {
    /// Parses a command line as the channel handler does, and feeds the result to the machine;
    /// `primaryTakesMail` is what the handler would learn at MAIL.
    mutating func send(_ line: String, primaryTakesMail: Bool = false) -> [Action] {
        switch CommandParser.parse(Array(line.utf8)) {
        case .success(let command): return receive(command, primaryTakesMail: primaryTakesMail)
        case .failure(let reply): return refuse(reply)
        }
    }

    mutating func play(_ lines: [String]) {
        for line in lines { _ = send(line) }
    }
}

/// Content that passes every check: no violation, small, one `Received:` field.
let cleanContent = ReceivedContent(violation: nil, size: 100, receivedFields: 1)

/// The reply of a step that must answer with exactly one reply and do nothing else.
func onlyReply(_ actions: [SessionStateMachine.Action], sourceLocation: SourceLocation = #_sourceLocation) -> SMTPReply? {
    guard actions.count == 1, case .reply(let reply) = actions[0] else {
        Issue.record("expected a single reply, got \(actions)", sourceLocation: sourceLocation)
        return nil
    }
    return reply
}

/// A code and enhanced code as written in a test table, e.g. `"503 5.5.1"`.
func codes(_ reply: SMTPReply?) -> String? {
    guard let reply else { return nil }
    return "\(reply.code) \(reply.status?.description ?? "-")"
}

/// One short dialog: lines to get into a state, then the line under test and what it must do.
struct Dialog: Sendable, CustomTestStringConvertible {
    var name: String
    var tls = false
    var setup: [String]
    var line: String
    var expected: String

    var testDescription: String { name }
}

/// A recipients table backed by a set; `@domain` entries accept any local part there.
struct SetDirectory: RecipientDirectory {
    let addresses: Set<String>

    init(_ addresses: Set<String>) { self.addresses = addresses }

    func contains(_ address: String) -> Bool {
        if addresses.contains(address) { return true }
        guard let at = address.lastIndex(of: "@") else { return false }
        return addresses.contains(String(address[at...]))
    }
}
