import BackstopConfig
import Testing

@Suite("[relay] verify: recipient callouts to the primary")
struct RelayVerifyTests {
    static let primary = "[primary]\nhosts = [\"mx1.example.org:25\"]\n"

    @Test func everyKeyIsRead() throws {
        let relay = try parsed(Self.primary + """
            [relay]
            verify = true
            verify_positive_ttl = "7d"
            verify_negative_ttl = "30m"
            verify_unknown_when_down = "tempfail"
            verify_rate = 5
            """).relay
        #expect(relay.verify)
        #expect(relay.verifyPositiveTTL == .seconds(7 * 86_400))
        #expect(relay.verifyNegativeTTL == .seconds(30 * 60))
        #expect(relay.verifyUnknownWhenDown == .tempfail)
        #expect(relay.verifyRate == 5)
    }

    /// A route is a primary to ask too.
    @Test func aRouteIsEnoughToVerify() throws {
        let toml = """
            [relay]
            domains = ["example.org"]
            verify = true
            [[primary.route]]
            domain = "example.org"
            hosts = ["mx1.example.org:25"]
            """
        #expect(try parsed(toml).relay.verify)
    }

    @Test func verifyNeedsAPrimary() {
        #expect(configError("[relay]\nverify = true\n")
            == "config/x.toml: [relay] verify: needs a primary to ask; set [primary] hosts, or verify = false")
        #expect(configError("[relay]\nverify = false\n") == nil)
    }

    @Test(arguments: [
        (#"verify = "yes""#, #"verify: expected true or false, found a string ("yes")"#),
        (#"verify = "true""#, #"verify: expected true or false, found a string ("true"); remove the quotes"#),
        ("verify = 1", "verify: expected true or false, found an integer (1)"),
        (#"verify_positive_ttl = "0s""#, #"verify_positive_ttl: must be at least 1s (found "0s")"#),
        (#"verify_negative_ttl = "3""#, #"verify_negative_ttl: "3" has no unit; add one, e.g. "3s" (units: ms, s, m, h, d)"#),
        ("verify_rate = 0", "verify_rate: must be at least 1 (found 0)"),
        (#"verify_unknown_when_down = "reject""#, #"verify_unknown_when_down: "reject" is not one of accept, tempfail"#),
        (#"verify_unknown_when_down = "tempfial""#, #"verify_unknown_when_down: "tempfial" is not one of accept, tempfail (did you mean tempfail?)"#),
    ])
    func invalid(toml: String, problem: String) {
        #expect(configError(Self.primary + "[relay]\n\(toml)\n") == "config/x.toml: [relay] \(problem)")
    }
}
