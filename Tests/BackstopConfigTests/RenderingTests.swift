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
        #expect(rendered.hasSuffix("[log]\nlevel = \"info\"\nformat = \"text\"\n"))
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
        configuration.server.maxMessageSize = 10 << 20
        configuration.server.maxRecipients = 500
        configuration.server.maxConnections = 20_000
        configuration.server.maxConnectionsPerIP = 5
        configuration.server.maxErrors = 3
        configuration.server.maxLineLength = 2000
        configuration.server.commandTimeout = .seconds(90)
        configuration.server.dataInitiationTimeout = .milliseconds(1500)
        configuration.server.dataBlockTimeout = .seconds(86_400)
        configuration.server.shutdownGrace = .zero
        configuration.server.memoryBodyLimit = 0
        configuration.tls.certificate = try scratch.write("cert \"main\".pem", PEM.certificate)
        configuration.tls.privateKey = try scratch.write("key\\main.pem", PEM.privateKey)
        configuration.relay.domains = ["example.org", ".example.org", "xn--bcher-kva.example"]
        configuration.relay.recipients = try scratch.write("recipients", "alice@example.org\n@example.org\n")
        configuration.spool.path = "/var/spool/backstop/spool.sqlite"
        configuration.log.level = .critical
        configuration.log.format = .json

        let rendered = configuration.rendered()
        #expect(try parsed(rendered) == configuration)
        #expect(rendered.contains("\nmax_connections = 20_000\n"))
        #expect(rendered.contains(#"listen = ["0.0.0.0:25", "[::]:25", "localhost:2525"]"#))
        #expect(rendered.contains("\ndata_block_timeout = \"1d\"\n"))
        #expect(rendered.contains(#"cert \"main\".pem""#))
    }
}
