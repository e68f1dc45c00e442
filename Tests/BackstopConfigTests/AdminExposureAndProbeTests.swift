import BackstopConfig
import Testing

@Suite("Admin exposure, probe_timeout default, backscatter warning")
struct AdminExposureAndProbeTests {
    @Test("an admin listener beyond loopback needs a token", arguments: ["0.0.0.0:9425", "[::]:9425", "192.0.2.10:9425", "mx2.example.org:9425"])
    func exposedWithoutToken(listen: String) {
        #expect(configError("[admin]\nlisten = \"\(listen)\"\n")
            == "config/x.toml: [admin] token: required when listen (\"\(listen)\") is not a loopback address; set a token (e.g. the output of `openssl rand -hex 32`) or listen on 127.0.0.1")
    }

    @Test("loopback needs no token; with a token any address will do", arguments: [
        "[admin]\nlisten = \"127.0.0.1:9500\"\n", "[admin]\nlisten = \"[::1]:9500\"\n", "[admin]\nlisten = \"localhost:9500\"\n",
        "[admin]\nlisten = \"127.0.0.2:9500\"\n", "[admin]\nlisten = \"\"\n",
        "[admin]\nlisten = \"0.0.0.0:9500\"\ntoken = \"0123456789abcdef0123\"\n",
    ])
    func accepted(toml: String) {
        #expect(configError(toml) == nil)
    }

    @Test("probe_timeout unset is 10s, or check_interval when that is shorter", arguments: [
        ("1s", .seconds(1)), ("5s", .seconds(5)), ("10s", .seconds(10)), ("30s", .seconds(10)), ("5m", .seconds(10)),
    ] as [(String, Duration)])
    func probeTimeoutDefault(interval: String, expected: Duration) throws {
        let primary = try parsed("[primary]\ncheck_interval = \"\(interval)\"\n").primary
        #expect(primary.probeTimeout == expected)
    }

    @Test("an explicit probe_timeout is kept, and still must fit in the interval")
    func explicitProbeTimeout() throws {
        #expect(try parsed("[primary]\ncheck_interval = \"1m\"\nprobe_timeout = \"20s\"\n").primary.probeTimeout == .seconds(20))
        #expect(configError("[primary]\ncheck_interval = \"1s\"\nprobe_timeout = \"2s\"\n")
            == #"config/x.toml: [primary] probe_timeout: "2s" is longer than check_interval ("1s"); probes would overlap, so shorten it or lengthen check_interval"#)
    }

    @Test("without recipients or verify the relay is a backscatter source, and says so")
    func backscatterWarning() throws {
        let warning = try #require(try parsed("[relay]\ndomains = [\"example.org\"]\n").relay.backscatterWarning)
        #expect(warning.contains("neither recipients nor verify"))
        #expect(warning.contains("backscatter source"))
        #expect(try parsed("[primary]\nhosts = [\"mx1.example.net:25\"]\n[relay]\ndomains = [\"example.org\"]\nverify = true\n")
            .relay.backscatterWarning == nil)
        var relay = try parsed("[relay]\ndomains = [\"example.org\"]\n").relay
        relay.recipients = "/etc/backstop/recipients"
        #expect(relay.backscatterWarning == nil)
    }
}
