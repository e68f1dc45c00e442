import BackstopConfig
import Testing

@Suite("rendered(): the effective configuration as TOML")
struct RenderingTests {
    @Test func defaultsRoundTrip() throws {
        let defaults = BackstopConfiguration.embeddedDefaults
        #expect(try parsed(defaults.rendered()) == defaults)
    }

    @Test func renderedDefaultsReadAsExpected() {
        let rendered = BackstopConfiguration.embeddedDefaults.rendered()
        #expect(rendered.hasPrefix("[server]\nlisten = [\"127.0.0.1:2525\"]\nhostname = "))
        #expect(rendered.contains("\nmax_message_size = 52_428_800\n"))
        #expect(rendered.contains("\ncommand_timeout = \"5m\"\n"))
        #expect(rendered.contains("\n[tls]\n# certificate is not set\n# private_key is not set\n"))
        #expect(rendered.contains("\n[relay]\ndomains = [\"example.test\"]\n# recipients is not set\n"))
        #expect(rendered.contains("\naccept_when = \"always\"\n"))
        #expect(rendered.contains("\nverify = false\nverify_positive_ttl = \"31d\"\nverify_negative_ttl = \"3h\"\n"))
        #expect(rendered.contains("\nmax_age = \"5d\"\n# delay_warning is not set\ndedup_window = \"10m\"\n"))
        #expect(rendered.contains("\n[primary]\nhosts = []\ncheck_interval = \"30s\"\n"))
        #expect(rendered.contains("\ndata_timeout = \"10m\"\n# [[primary.route]] is not set\n\n[bounce]\n# relay is not set\n"))
        #expect(rendered.contains("\n[log]\nlevel = \"info\"\nformat = \"text\"\n\n[dns]\nservers = []\ntimeout = \"2s\"\nattempts = 2\n"))
        #expect(rendered.contains("\n[reputation]\nreject_score = 1\npregreet = \"0s\"\n# [[reputation.dnsbl]] is not set\n# [[reputation.dnswl]] is not set\n"))
        #expect(rendered.contains("[limits]\nmessages_per_ip_per_minute = 0\nrecipients_per_ip_per_minute = 0\nunknown_recipients_per_ip = 20\n"))
        #expect(rendered.contains("\n[filter]\n# rspamd is not set\non_error = \"tempfail\"\ntimeout = \"10s\"\n"))
        #expect(rendered.contains("\n[greylist]\nenabled = false\ndelay = \"5m\"\nretention = \"36d\"\n\n[cluster]\nnode = "))
        #expect(rendered.hasSuffix("\nlease_timeout = \"1m\"\n"))
    }

    /// Every key changed from its default, so that each one's rendering is exercised.
    @Test func everyKeyRoundTrips() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        var configuration = BackstopConfiguration.embeddedDefaults
        configuration.server.listen = [
            ListenAddress(host: "0.0.0.0", port: 25), ListenAddress(host: "::", port: 25),
            ListenAddress(host: "localhost", port: 2525),
        ]
        configuration.server.hostname = "mx2.example.org"
        configuration.server.acceptWhen = .primaryDown
        configuration.server.maxMessageSize = 10 << 20
        configuration.server.maxRecipients = 500
        configuration.server.maxConnections = 20_000
        configuration.server.maxConnectionsPerIP = 5
        configuration.server.maxErrors = 3
        configuration.server.maxLineLength = 2000
        configuration.server.commandTimeout = .seconds(90)
        configuration.server.dataInitiationTimeout = .milliseconds(1500)
        configuration.server.dataBlockTimeout = .seconds(86_400)
        configuration.server.minDataRate = 0
        configuration.server.shutdownGrace = .zero
        configuration.server.memoryBodyLimit = 0
        configuration.tls.certificate = try scratch.write("cert \"main\".pem", PEM.certificate)
        configuration.tls.privateKey = try scratch.write("key\\main.pem", PEM.privateKey)
        configuration.relay.domains = ["example.org", ".example.org", "xn--bcher-kva.example"]
        configuration.relay.recipients = try scratch.write("recipients", "alice@example.org\n@example.org\n")
        configuration.relay.verify = true
        configuration.relay.verifyPositiveTTL = .seconds(7 * 86_400)
        configuration.relay.verifyNegativeTTL = .seconds(90)
        configuration.relay.verifyUnknownWhenDown = .tempfail
        configuration.spool.path = "/var/spool/backstop/spool.sqlite"
        configuration.spool.retryMin = .seconds(60)
        configuration.spool.retryMax = .seconds(4 * 3600)
        configuration.spool.maxAge = .seconds(4 * 86_400)
        configuration.spool.delayWarning = .seconds(4 * 3600)
        configuration.spool.dedupWindow = .zero
        configuration.primary.hosts = [MailHost(name: "mx1.example.org", port: 25), MailHost(name: "2001:db8::10", port: 2525)]
        configuration.primary.checkInterval = .seconds(5)
        configuration.primary.downAfter = 1
        configuration.primary.upAfter = 5
        configuration.primary.probeTimeout = .milliseconds(2500)
        configuration.primary.maxConnections = 16
        configuration.primary.maxRate = 250
        configuration.primary.caFile = try scratch.write("ca.pem", PEM.certificate)
        configuration.primary.connectTimeout = .seconds(10)
        configuration.primary.commandTimeout = .seconds(60)
        configuration.primary.dataTimeout = .seconds(1800)
        configuration.primary.routes = [
            DomainRoute(domain: "example.org", hosts: [MailHost(name: "192.0.2.25", port: 25)]),
            DomainRoute(domain: ".example.org", hosts: [MailHost(name: "lists.example.net", port: 587),
                                                       MailHost(name: "192.0.2.26", port: 25)]),
        ]
        configuration.bounce.relay = MailHost(name: "smtp.example.org", port: 587)
        configuration.log.level = .critical
        configuration.log.format = .json
        configuration.dns.servers = [NameServerAddress(host: "127.0.0.1", port: 5353), NameServerAddress(host: "2001:db8::53", port: 53)]
        configuration.dns.timeout = .seconds(5)
        configuration.dns.attempts = 1
        configuration.reputation.rejectScore = 2.5
        configuration.reputation.pregreet = .milliseconds(1500)
        configuration.reputation.dnsbl = [DNSListSettings(zone: "block.example.test", weight: 2, match: ["127.0.0.2", "127.0.0.4"])]
        configuration.reputation.dnswl = [DNSListSettings(zone: "allow.example.test", weight: -0.5, match: [])]
        configuration.limits = LimitsSettings(messagesPerIPPerMinute: 30, recipientsPerIPPerMinute: 300, unknownRecipientsPerIP: 0)

        let rendered = configuration.rendered()
        #expect(try parsed(rendered) == configuration)
        #expect(rendered.contains("\nmax_connections = 20_000\n"))
        #expect(rendered.contains(#"listen = ["0.0.0.0:25", "[::]:25", "localhost:2525"]"#))
        #expect(rendered.contains("\ndata_block_timeout = \"1d\"\n"))
        #expect(rendered.contains(#"cert \"main\".pem""#))
        #expect(rendered.contains(#"hosts = ["mx1.example.org:25", "[2001:db8::10]:2525"]"#))
        #expect(rendered.contains("""
            data_timeout = "30m"

            [[primary.route]]
            domain = "example.org"
            hosts = ["192.0.2.25:25"]

            [[primary.route]]
            domain = ".example.org"
            hosts = ["lists.example.net:587", "192.0.2.26:25"]

            [bounce]
            relay = "smtp.example.org:587"
            """))
        #expect(rendered.contains("""
            servers = ["127.0.0.1:5353", "[2001:db8::53]:53"]
            """))
        #expect(rendered.contains("""
            [[reputation.dnsbl]]
            zone = "block.example.test"
            weight = 2
            match = ["127.0.0.2", "127.0.0.4"]
            """))
        #expect(rendered.contains("\nweight = -0.5\n"))
    }

    /// The other choices, which `everyKeyRoundTrips` leaves at other values.
    @Test(arguments: PrimaryTLSMode.allCases)
    func tlsModesRoundTrip(mode: PrimaryTLSMode) throws {
        var configuration = BackstopConfiguration.embeddedDefaults
        configuration.primary.tls = mode
        configuration.primary.hosts = [MailHost(name: "mx1.example.org", port: 25)]
        let rendered = configuration.rendered()
        #expect(rendered.contains("\ntls = \"\(mode.rawValue)\"\n"))
        #expect(try parsed(rendered) == configuration)
    }
}
