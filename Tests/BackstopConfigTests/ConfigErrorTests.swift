import BackstopConfig
import Testing

/// Every kind of mistake gets one line naming the file and the key, what is wrong and
/// what to write instead.
@Suite("Configuration errors")
struct ConfigErrorTests {
    @Test func wrongType() {
        #expect(configError("[server]\nmax_recipients = \"100\"\n")
            == #"config/x.toml: [server] max_recipients: expected an integer, found a string ("100")"#)
        #expect(configError("[server]\nmax_message_size = 1.5\n")
            == "config/x.toml: [server] max_message_size: expected an integer, found a floating-point number (1.5)")
        #expect(configError("[server]\nhostname = 42\n")
            == "config/x.toml: [server] hostname: expected a string, found an integer (42)")
        #expect(configError("[spool]\npath = [\"a\"]\n")
            == "config/x.toml: [spool] path: expected a string, found an array")
        #expect(configError("[log]\nlevel = { name = \"info\" }\n")
            == "config/x.toml: [log] level: expected a string, found a table")
    }

    @Test func unknownKeySuggestsTheNearestKnownKey() {
        #expect(configError("[server]\nmax_recipent = 100\n")
            == "config/x.toml: [server] max_recipent: unknown key (did you mean max_recipients?)")
        #expect(configError("[server]\nhsotname = \"mx\"\n")
            == "config/x.toml: [server] hsotname: unknown key (did you mean hostname?)")
        #expect(configError("[spool]\npaht = \"x\"\n")
            == "config/x.toml: [spool] paht: unknown key (did you mean path?)")
        #expect(configError("[relay]\ndomain = [\"example.org\"]\n")
            == "config/x.toml: [relay] domain: unknown key (did you mean domains?)")
    }

    @Test func unknownKeyWithNothingCloseListsTheKnownKeys() {
        #expect(configError("[log]\ndestination = \"syslog\"\n")
            == "config/x.toml: [log] destination: unknown key (known: level, format)")
        #expect(configError("[server.limits]\nmax = 1\n")
            == "config/x.toml: [server] limits: unknown key (known: listen, hostname, accept_when, max_message_size, max_recipients, max_connections, max_connections_per_ip, max_errors, max_line_length, command_timeout, data_initiation_timeout, data_block_timeout, min_data_rate, shutdown_grace, memory_body_limit)")
    }

    @Test func keyInTheWrongSectionNamesItsSection() {
        #expect(configError("[server]\ncertificate = \"cert.pem\"\n")
            == "config/x.toml: [server] certificate: unknown key (it belongs in [tls])")
        #expect(configError("[relay]\npath = \"spool.sqlite\"\n")
            == "config/x.toml: [relay] path: unknown key (it belongs in [spool])")
        #expect(configError("[server]\ncheck_interval = \"30s\"\n")
            == "config/x.toml: [server] check_interval: unknown key (it belongs in [primary])")
        #expect(configError("[spool]\nverify = true\n")
            == "config/x.toml: [spool] verify: unknown key (it belongs in [relay])")
    }

    @Test func unknownSection() {
        #expect(configError("[sever]\nhostname = \"mx\"\n")
            == "config/x.toml: unknown section [sever] (known: server, tls, relay, spool, primary, bounce, auth, arc, admin, inbox, notify, log, dns, reputation, limits, filter, greylist, cluster)")
        #expect(configError("[secondary]\n")
            == "config/x.toml: unknown section [secondary] (known: server, tls, relay, spool, primary, bounce, auth, arc, admin, inbox, notify, log, dns, reputation, limits, filter, greylist, cluster)")
    }

    @Test func keyOutsideAnySection() {
        #expect(configError("hostname = \"mx\"\n[server]\n")
            == "config/x.toml: hostname: key outside any section; move it under [server]")
        #expect(configError("debug = true\n")
            == "config/x.toml: debug: unknown key outside any section (sections: server, tls, relay, spool, primary, bounce, auth, arc, admin, inbox, notify, log, dns, reputation, limits, filter, greylist, cluster)")
        #expect(configError("hosts = [\"mx1.example.org:25\"]\n")
            == "config/x.toml: hosts: key outside any section; move it under [primary]")
    }

    /// `tls` is both a section and a key of [primary].
    @Test func keyOutsideAnySectionThatIsAlsoASectionName() {
        #expect(configError("tls = \"none\"\n[primary]\n")
            == #"config/x.toml: [tls]: expected a section, found a string ("none") (if you meant the key tls of [primary], move it under [primary])"#)
    }

    @Test func sectionThatIsNotATable() {
        #expect(configError("server = 5\n") == "config/x.toml: [server]: expected a section, found an integer (5)")
        #expect(configError("[[server]]\nhostname = \"mx\"\n")
            == "config/x.toml: [server]: expected a section, found an array (write [server] once, not [[server]])")
    }

    @Test func tomlSyntaxErrorsNameTheLine() {
        #expect(configError("[server]\nmax_recipients = 100\nhostname = mx.example.org\n")
            == "config/x.toml: line 3: Error while parsing value: could not determine value type")
        #expect(configError("[server]\nmax_recipients = 1\nmax_recipients = 2\n")
            == "config/x.toml: line 3: Error while parsing key-value pair: cannot redefine existing integer 'max_recipients'")
        #expect(configError("[log]\nlevel = \"info\n")
            == "config/x.toml: line 2: Error while parsing string: unescaped control characters other than TAB (U+0009) are explicitly prohibited")
    }

    @Test func nulCharacterIsRefusedWithItsLine() {
        #expect(configError("[server]\n\n\0")
            == "config/x.toml: line 3: contains a NUL character; is this a text file?")
    }

    @Test func unreadableFile() {
        #expect(throws: ConfigError(file: "/nonexistent/x.toml", location: .file,
                                    problem: "cannot read file: No such file or directory")) {
            try BackstopConfiguration.load(file: "/nonexistent/x.toml")
        }
        #expect(loadError("/nonexistent/x.toml") == "/nonexistent/x.toml: cannot read file: No such file or directory")
    }

    @Test func directoryInsteadOfFile() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        #expect(loadError(scratch.path) == "\(scratch.path): cannot read file: Is a directory")
    }

    @Test(arguments: [
        ("max_message_size = 0", "max_message_size: must be at least 1 (found 0)"),
        ("max_recipients = -1", "max_recipients: must be at least 1 (found -1)"),
        ("max_connections = 0", "max_connections: must be at least 1 (found 0)"),
        ("max_connections_per_ip = 0", "max_connections_per_ip: must be at least 1 (found 0)"),
        ("max_errors = 0", "max_errors: must be at least 1 (found 0)"),
        ("max_line_length = 79", "max_line_length: must be between 80 and 1048576 (found 79)"),
        ("max_line_length = 2_000_000", "max_line_length: must be between 80 and 1048576 (found 2000000)"),
        ("memory_body_limit = -1", "memory_body_limit: must be at least 0 (found -1)"),
        (#"shutdown_grace = "-1s""#,
         #"shutdown_grace: "-1s" is not a duration; write a whole number and a unit, e.g. "30s" (units: ms, s, m, h, d)"#),
    ])
    func outOfRange(toml: String, problem: String) {
        #expect(configError("[server]\n\(toml)\n") == "config/x.toml: [server] \(problem)")
    }

    @Test func boundsThemselvesAreAccepted() throws {
        let server = try parsed("[server]\nmax_line_length = 80\nmemory_body_limit = 0\nmax_recipients = 1\n").server
        #expect(server.maxLineLength == 80)
        #expect(server.memoryBodyLimit == 0)
        #expect(server.maxRecipients == 1)
    }

    @Test func hostnameMustBeADomainName() throws {
        #expect(try parsed("[server]\nhostname = \"MX2.Example.org\"\n").server.hostname == "mx2.example.org")
        #expect(try parsed("[server]\nhostname = \"backstop\"\n").server.hostname == "backstop")
        #expect(configError("[server]\nhostname = \"mx2.example.org.\"\n")
            == #"config/x.toml: [server] hostname: "mx2.example.org.": remove the trailing dot (write "mx2.example.org")"#)
        #expect(configError("[server]\nhostname = \"mx 2\"\n")
            == #"config/x.toml: [server] hostname: "mx 2": " " is not allowed in a domain name (letters, digits, "-" and "." only)"#)
    }

    @Test func logChoices() throws {
        let log = try parsed("[log]\nlevel = \"debug\"\nformat = \"json\"\n").log
        #expect(log.level == .debug && log.format == .json)
        #expect(configError("[log]\nlevel = \"warn\"\n")
            == #"config/x.toml: [log] level: "warn" is not one of trace, debug, info, notice, warning, error, critical (did you mean warning?)"#)
        #expect(configError("[log]\nlevel = \"verbose\"\n")
            == #"config/x.toml: [log] level: "verbose" is not one of trace, debug, info, notice, warning, error, critical"#)
        #expect(configError("[log]\nformat = \"JSON\"\n")
            == #"config/x.toml: [log] format: "JSON" is not one of text, json (did you mean json?)"#)
    }

    @Test func emptySpoolPath() {
        #expect(configError("[spool]\npath = \"\"\n")
            == "config/x.toml: [spool] path: empty path; write a file path or remove the key")
    }

    private func loadError(_ path: String) -> String? {
        do {
            _ = try BackstopConfiguration.load(file: path)
            return nil
        } catch {
            return error.description
        }
    }
}

@Suite("[inbox] listen")
struct InboxListenTests {
    @Test func offByDefault() throws {
        #expect(try BackstopConfiguration.parse(toml: "", file: "x.toml").inbox.listen == nil)
    }

    @Test func publicAddressNeedsTLS() {
        #expect(throws: ConfigError.self) {
            try BackstopConfiguration.parse(toml: "[inbox]\nlisten = \"0.0.0.0:8443\"\n", file: "x.toml")
        }
        let loopback = try? BackstopConfiguration.parse(toml: "[inbox]\nlisten = \"127.0.0.1:8443\"\n", file: "x.toml")
        #expect(loopback?.inbox.listen?.port == 8443)
    }
}
