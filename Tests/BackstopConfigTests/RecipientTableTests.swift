import BackstopConfig
import Testing

@Suite("Recipients file")
struct RecipientTableTests {
    static let sample = """
        # Sales team
        alice@example.org
        Bob.Smith@Example.ORG

            # indented comment
        @lists.example.org
        weird#tag@example.org
        carol@example.org   # trailing comment\r
        """

    @Test func parsesAddressesDomainsAndComments() throws {
        let table = try RecipientTable.parse(text: Self.sample, file: "recipients")
        #expect(table.addresses == ["alice@example.org", "bob.smith@example.org", "weird#tag@example.org", "carol@example.org"])
        #expect(table.domains == ["lists.example.org"])
        #expect(table.count == 5)
    }

    @Test func emptyFileIsAnEmptyTable() throws {
        #expect(try RecipientTable.parse(text: "", file: "r").count == 0)
        #expect(try RecipientTable.parse(text: "# nobody yet\n\n", file: "r").count == 0)
    }

    @Test(arguments: [
        ("alice@example.org", true),
        ("ALICE@EXAMPLE.ORG", true),
        ("bob.smith@example.org", true),
        ("Bob.Smith@example.org", true),
        ("weird#tag@example.org", true),
        ("anyone@lists.example.org", true),
        ("Anyone@LISTS.Example.Org", true),
        ("dave@example.org", false),
        ("alice@example.net", false),
        ("alice@sub.lists.example.org", false),
        ("alice", false),
        ("", false),
    ])
    func matching(address: String, accepted: Bool) throws {
        let table = try RecipientTable.parse(text: Self.sample, file: "recipients")
        #expect(table.contains(address) == accepted)
    }

    @Test(arguments: [
        ("alice@example.org\n\npostmaster\n",
         #"recipients: line 3: "postmaster" is not an address; write local@domain, or @domain for any address at that domain"#),
        ("alice@example.org bob@example.org\n", #"recipients: line 1: "alice@example.org bob@example.org": one address per line"#),
        ("# x\nalice@\n", #"recipients: line 2: "alice@": missing domain after "@""#),
        ("@\n", #"recipients: line 1: "@": missing domain after "@""#),
        ("alice@exa_mple.org\n",
         #"recipients: line 1: "exa_mple.org": "_" is not allowed in a domain name (letters, digits, "-" and "." only)"#),
        ("alice@example.org.\n", #"recipients: line 1: "example.org.": remove the trailing dot (write "example.org")"#),
        ("\(String(repeating: "a", count: 65))@example.org\n",
         #"recipients: line 1: "\#(String(repeating: "a", count: 65))@example.org": the local part is longer than 64 bytes (RFC 5321 §4.5.3.1.1)"#),
        ("a\u{1}b@example.org\n", #"recipients: line 1: "a\u0001b@example.org": contains a control character"#),
    ])
    func malformedLines(text: String, message: String) {
        #expect(throws: (any Error).self) { try RecipientTable.parse(text: text, file: "recipients") }
        do {
            _ = try RecipientTable.parse(text: text, file: "recipients")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func loadsFromFile() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = try scratch.write("recipients", Self.sample)
        #expect(try RecipientTable.load(path: path) == RecipientTable.parse(text: Self.sample, file: path))
        #expect(throws: ConfigError(file: scratch.path + "/absent", location: .file,
                                    problem: "cannot read file: No such file or directory")) {
            try RecipientTable.load(path: scratch.path + "/absent")
        }
    }

    @Test func configurationChecksTheRecipientsFile() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let good = try scratch.write("good", "alice@example.test\n")
        #expect(try parsed("[relay]\nrecipients = \"\(good)\"\n").relay.recipients == good)

        let absent = scratch.path + "/absent"
        #expect(configError("[relay]\nrecipients = \"\(absent)\"\n")
            == "config/x.toml: [relay] recipients: \(absent): cannot read file: No such file or directory")

        let empty = try scratch.write("empty", "# to do\n")
        #expect(configError("[relay]\nrecipients = \"\(empty)\"\n")
            == "config/x.toml: [relay] recipients: \(empty): lists no address; add one per line, or remove the key to accept any address in the relay domains")

        let malformed = try scratch.write("malformed", "alice@example.test\nbob\n")
        #expect(configError("[relay]\nrecipients = \"\(malformed)\"\n")
            == #"\#(malformed): line 2: "bob" is not an address; write local@domain, or @domain for any address at that domain"#)
    }

    /// Entries and lookups meet in one form: local part unquoted and lowercased without mapping
    /// non-ASCII to ASCII, domain as A-labels; compared as bytes, not as canonically equivalent strings.
    @Test func internationalizedAndQuotedEntries() throws {
        let table = try RecipientTable.parse(text: """
            "alice"@example.org
            josé@bücher.example
            kate@example.org
            @xn--mnchen-3ya.example
            """, file: "r")
        #expect(table.contains("alice@example.org"))
        #expect(table.contains("ALICE@EXAMPLE.ORG"))
        #expect(table.contains("JOSÉ@xn--bcher-kva.example"))
        #expect(table.contains("josé@BÜCHER.example"))
        #expect(table.contains("anyone@münchen.example"))
        #expect(!table.contains("\u{212A}ate@example.org"), "the Kelvin sign is not a k")
        #expect(!table.contains("jose\u{0301}@bücher.example"), "canonically equivalent, different scalars")
        #expect(!table.contains("kate@example.org\u{0600}"))
        #expect(table.addresses.contains("josé@xn--bcher-kva.example"))
    }

    @Test func refusesLocalPartsSMTPWouldRefuse() {
        #expect(throws: ConfigError.self) { try RecipientTable.parse(text: "ev\u{202E}il@example.org\n", file: "r") }
        #expect(throws: ConfigError.self) { try RecipientTable.parse(text: "a\u{0600}b@example.org\n", file: "r") }
    }
}
