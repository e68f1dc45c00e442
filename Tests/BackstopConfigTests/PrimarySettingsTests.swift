import BackstopConfig
import Testing

@Suite("[primary]: hosts, health probes, replay limits, TLS")
struct PrimarySettingsTests {
    @Test func everyKeyIsRead() throws {
        let primary = try parsed("""
            [primary]
            hosts = ["MX1.Example.org:25", "192.0.2.10:2525", "[2001:DB8::10]:25"]
            check_interval = "1m"
            down_after = 5
            up_after = 1
            probe_timeout = "5s"
            max_connections = 8
            max_rate = 100
            tls = "opportunistic"
            connect_timeout = "20s"
            command_timeout = "2m"
            data_timeout = "15m"
            """).primary
        #expect(primary.hosts == [
            MailHost(name: "mx1.example.org", port: 25), MailHost(name: "192.0.2.10", port: 2525),
            MailHost(name: "2001:db8::10", port: 25),
        ])
        #expect(primary.hosts.map(\.description) == ["mx1.example.org:25", "192.0.2.10:2525", "[2001:db8::10]:25"])
        #expect(primary.checkInterval == .seconds(60))
        #expect(primary.downAfter == 5 && primary.upAfter == 1)
        #expect(primary.probeTimeout == .seconds(5))
        #expect(primary.maxConnections == 8 && primary.maxRate == 100)
        #expect(primary.tls == .opportunistic)
        #expect(primary.connectTimeout == .seconds(20))
        #expect(primary.commandTimeout == .seconds(120))
        #expect(primary.dataTimeout == .seconds(900))
        #expect(primary.forwardsMail)
    }

    @Test func noHostsMeansNoForwarding() throws {
        let primary = try parsed("[primary]\nhosts = []\n").primary
        #expect(primary.hosts.isEmpty)
        #expect(!primary.forwardsMail)
        #expect(primary.hosts(for: "example.test").isEmpty)
    }

    @Test(arguments: [
        ("mx1.example.org", #""mx1.example.org": missing port; write host:port, e.g. "mx1.example.org:25""#),
        (":25", #"":25": missing host; write the server's name or address, e.g. "mx1.example.org:25""#),
        ("0.0.0.0:25", #""0.0.0.0:25": 0.0.0.0 means every local address when listening, and is nowhere to connect to; write the server's name or address"#),
        ("[::]:25", #""[::]:25": :: means every local address when listening, and is nowhere to connect to; write the server's name or address"#),
        ("2001:db8::10:25", #""2001:db8::10:25": put an IPv6 address in brackets, e.g. "[::1]:25""#),
        ("mx1.example.org:0", #""mx1.example.org:0": port must be between 1 and 65535"#),
        ("mx1.example.org:smtp", #""mx1.example.org:smtp": port "smtp" is not a number"#),
        ("192.0.2.300:25", #""192.0.2.300:25": "192.0.2.300" is not an IPv4 address"#),
        ("mx_1.example.org:25", #""mx_1.example.org:25": host "mx_1.example.org": "_" is not allowed in a domain name (letters, digits, "-" and "." only)"#),
    ])
    func invalidHosts(text: String, problem: String) {
        #expect(configError("[primary]\nhosts = [\"\(text)\"]\n") == "config/x.toml: [primary] hosts: \(problem)")
        #expect(MailHost(text) == nil)
    }

    @Test(arguments: [
        (#"hosts = "mx1.example.org:25""#,
         #"expected an array such as ["mx1.example.org:25"], found a string ("mx1.example.org:25"); put it in brackets: ["mx1.example.org:25"]"#),
        (#"hosts = ["mx1.example.org:25", "MX1.example.org:25"]"#, #""MX1.example.org:25" is listed twice"#),
        (#"hosts = ["mx1.example.org:25", 25]"#, "item 2: expected a string, found an integer (25)"),
    ])
    func invalidHostLists(toml: String, problem: String) {
        #expect(configError("[primary]\n\(toml)\n") == "config/x.toml: [primary] hosts: \(problem)")
    }

    @Test(arguments: [
        ("down_after = 0", "down_after: must be at least 1 (found 0)"),
        ("up_after = 0", "up_after: must be at least 1 (found 0)"),
        ("max_connections = 0", "max_connections: must be at least 1 (found 0)"),
        ("max_rate = -1", "max_rate: must be at least 0 (found -1)"),
        ("max_rate = 2.5", "max_rate: expected an integer, found a floating-point number (2.5)"),
        (#"check_interval = "0s""#, #"check_interval: must be at least 1s (found "0s")"#),
        (#"probe_timeout = "500ms""#, #"probe_timeout: must be at least 1s (found "500ms")"#),
        (#"connect_timeout = "0s""#, #"connect_timeout: must be at least 1s (found "0s")"#),
        (#"command_timeout = 300"#, #"command_timeout: expected a duration such as "5m", found an integer (300); add a unit, e.g. "300s""#),
        (#"data_timeout = "10 m""#, #"data_timeout: "10 m": unknown unit " m" (units: ms, s, m, h, d)"#),
        (#"tls = "verfiy""#, #"tls: "verfiy" is not one of verify, opportunistic, none (did you mean verify?)"#),
        (#"tls = "starttls""#, #"tls: "starttls" is not one of verify, opportunistic, none"#),
        ("tls = false", "tls: expected a string, found a boolean (false)"),
    ])
    func outOfRange(toml: String, problem: String) {
        #expect(configError("[primary]\n\(toml)\n") == "config/x.toml: [primary] \(problem)")
    }

    @Test func boundsThemselvesAreAccepted() throws {
        let primary = try parsed("""
            [primary]
            down_after = 1
            up_after = 1
            max_connections = 1
            max_rate = 0
            check_interval = "1s"
            probe_timeout = "1s"
            """).primary
        #expect(primary.downAfter == 1 && primary.upAfter == 1 && primary.maxConnections == 1 && primary.maxRate == 0)
        #expect(primary.probeTimeout == primary.checkInterval)
    }

    @Test func probeMustFitInTheInterval() {
        #expect(configError("[primary]\ncheck_interval = \"10s\"\nprobe_timeout = \"15s\"\n")
            == #"config/x.toml: [primary] probe_timeout: "15s" is longer than check_interval ("10s"); probes would overlap, so shorten it or lengthen check_interval"#)
    }

    @Test func caFile() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let ca = try scratch.write("ca.pem", PEM.certificate)
        #expect(try parsed("[primary]\nca_file = \"\(ca)\"\n").primary.caFile == ca)
        #expect(try parsed("[primary]\ntls = \"verify\"\nca_file = \"\(ca)\"\n").primary.tls == .verify)
    }

    @Test func caFileMustHoldCertificates() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let missing = scratch.path + "/absent.pem"
        #expect(configError("[primary]\nca_file = \"\(missing)\"\n")
            == "config/x.toml: [primary] ca_file: \(missing): cannot read file: No such file or directory")
        let key = try scratch.write("key.pem", PEM.privateKey)
        #expect(configError("[primary]\nca_file = \"\(key)\"\n")
            == "config/x.toml: [primary] ca_file: \(key): holds a private key, not CA certificates; name the file with the certificates that sign the primary's")
        let text = try scratch.write("ca.txt", "not a certificate\n")
        #expect(configError("[primary]\nca_file = \"\(text)\"\n")
            == #"config/x.toml: [primary] ca_file: \#(text): no PEM certificate found (expected a "-----BEGIN CERTIFICATE-----" block)"#)
        #expect(configError("[primary]\nca_file = \"\"\n")
            == "config/x.toml: [primary] ca_file: empty path; write a file path or remove the key")
    }

    /// Only "verify" checks certificates, so a CA file with another mode would mislead.
    @Test(arguments: ["opportunistic", "none"])
    func caFileNeedsVerify(mode: String) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let ca = try scratch.write("ca.pem", PEM.certificate)
        #expect(configError("[primary]\ntls = \"\(mode)\"\nca_file = \"\(ca)\"\n")
            == #"config/x.toml: [primary] ca_file: only used with tls = "verify", and tls is "\#(mode)"; remove ca_file or set tls = "verify""#)
    }

    @Test func aSingleTableInsteadOfASectionKeyIsNamed() {
        #expect(configError("[primary]\nhots = [\"mx1.example.org:25\"]\n")
            == "config/x.toml: [primary] hots: unknown key (did you mean hosts?)")
        #expect(configError("[primary]\nrelay = \"smtp.example.org:25\"\n")
            == "config/x.toml: [primary] relay: unknown key (it belongs in [bounce])")
    }
}
