import BackstopConfig
import Testing

@Suite("[server] accept_when and [bounce] relay")
struct AcceptWhenAndBounceTests {
    @Test func acceptWhenPrimaryDown() throws {
        let configuration = try parsed("[server]\naccept_when = \"primary-down\"\n[primary]\nhosts = [\"mx1.example.org:25\"]\n")
        #expect(configuration.server.acceptWhen == .primaryDown)
    }

    @Test func primaryDownNeedsAPrimary() {
        #expect(configError("[server]\naccept_when = \"primary-down\"\n")
            == #"config/x.toml: [server] accept_when: "primary-down" needs a primary to watch; set [primary] hosts, or accept_when = "always""#)
    }

    @Test(arguments: [
        ("primary_down", #""primary_down" is not one of always, primary-down (did you mean primary-down?)"#),
        ("never", #""never" is not one of always, primary-down"#),
    ])
    func invalidAcceptWhen(text: String, problem: String) {
        #expect(configError("[server]\naccept_when = \"\(text)\"\n") == "config/x.toml: [server] accept_when: \(problem)")
    }

    @Test func bounceRelay() throws {
        #expect(try parsed("[bounce]\nrelay = \"SMTP.example.org:587\"\n").bounce.relay
            == MailHost(name: "smtp.example.org", port: 587))
        #expect(try parsed("[bounce]\nrelay = \"[2001:db8::25]:25\"\n").bounce.relay?.description == "[2001:db8::25]:25")
    }

    @Test("[bounce] tls is its own key, opportunistic by default whatever [primary] tls says")
    func bounceTLS() throws {
        #expect(BackstopConfiguration.embeddedDefaults.bounce.tls == .opportunistic)
        #expect(BackstopConfiguration.embeddedDefaults.primary.tls == .verify)
        #expect(try parsed("[primary]\ntls = \"none\"\n").bounce.tls == .opportunistic)
        for mode in PrimaryTLSMode.allCases {
            #expect(try parsed("[bounce]\nrelay = \"smtp.example.org:25\"\ntls = \"\(mode.rawValue)\"\n").bounce.tls == mode)
        }
        #expect(configError("[bounce]\ntls = \"required\"\n")
            == #"config/x.toml: [bounce] tls: "required" is not one of verify, opportunistic, none"#)
    }

    @Test(arguments: [
        (#"relay = "smtp.example.org""#, #"relay: "smtp.example.org": missing port; write host:port, e.g. "smtp.example.org:25""#),
        (#"relay = ["smtp.example.org:25"]"#, "relay: expected a string, found an array"),
        (#"relay = "0.0.0.0:25""#, #"relay: "0.0.0.0:25": 0.0.0.0 means every local address when listening, and is nowhere to connect to; write the server's name or address"#),
        (#"relays = "smtp.example.org:25""#, "relays: unknown key (did you mean relay?)"),
    ])
    func invalidBounce(toml: String, problem: String) {
        #expect(configError("[bounce]\n\(toml)\n") == "config/x.toml: [bounce] \(problem)")
    }
}
