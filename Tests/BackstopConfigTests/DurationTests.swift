import BackstopConfig
import Testing

@Suite("Durations: a whole number and a unit")
struct DurationTests {
    @Test(arguments: [
        ("500ms", Duration.milliseconds(500)),
        ("30s", .seconds(30)),
        ("90s", .seconds(90)),
        ("5m", .seconds(300)),
        ("2h", .seconds(7200)),
        ("5d", .seconds(432_000)),
        ("1500ms", .milliseconds(1500)),
    ])
    func validDurations(text: String, expected: Duration) throws {
        let configuration = try parsed("[server]\nshutdown_grace = \"\(text)\"\n")
        #expect(configuration.server.shutdownGrace == expected)
    }

    @Test func zeroIsAllowedWhereItMeansImmediately() throws {
        #expect(try parsed("[server]\nshutdown_grace = \"0s\"\n").server.shutdownGrace == .zero)
    }

    @Test(arguments: [
        ("30", #""30" has no unit; add one, e.g. "30s" (units: ms, s, m, h, d)"#),
        ("5min", #""5min": unknown unit "min" (units: ms, s, m, h, d)"#),
        ("5S", #""5S": unknown unit "S" (units: ms, s, m, h, d)"#),
        ("5 m", #""5 m": unknown unit " m" (units: ms, s, m, h, d)"#),
        ("1.5m", #""1.5m": write a whole number with a smaller unit, e.g. "90s" instead of "1.5m""#),
        ("five minutes", #""five minutes" is not a duration; write a whole number and a unit, e.g. "30s" (units: ms, s, m, h, d)"#),
        ("-5s", #""-5s" is not a duration; write a whole number and a unit, e.g. "30s" (units: ms, s, m, h, d)"#),
        ("", #""" is not a duration; write a whole number and a unit, e.g. "30s" (units: ms, s, m, h, d)"#),
        ("0s", #"must be at least 1s (found "0s")"#),
        ("999ms", #"must be at least 1s (found "999ms")"#),
        ("99999999999999999999d", #""99999999999999999999d" is too long a duration to represent"#),
        ("9999999999999999d", #""9999999999999999d" is too long a duration to represent"#),
    ])
    func invalidDurations(text: String, problem: String) {
        #expect(configError("[server]\ncommand_timeout = \"\(text)\"\n")
            == "config/x.toml: [server] command_timeout: \(problem)")
    }

    @Test(arguments: [
        ("30", #"expected a duration such as "5m", found an integer (30); add a unit, e.g. "30s""#),
        ("1.5", #"expected a duration such as "5m", found a floating-point number (1.5)"#),
        ("true", #"expected a duration such as "5m", found a boolean (true)"#),
        ("[\"5m\"]", #"expected a duration such as "5m", found an array"#),
    ])
    func durationsMustBeStrings(toml: String, problem: String) {
        #expect(configError("[server]\ndata_block_timeout = \(toml)\n")
            == "config/x.toml: [server] data_block_timeout: \(problem)")
    }

    /// Rendering picks the largest unit that states the duration exactly.
    @Test(arguments: [
        (Duration.milliseconds(500), "500ms"),
        (.milliseconds(1500), "1500ms"),
        (.seconds(90), "90s"),
        (.seconds(300), "5m"),
        (.seconds(7200), "2h"),
        (.seconds(86_400 * 5), "5d"),
        (.zero, "0s"),
    ])
    func renderedDurations(duration: Duration, text: String) throws {
        var configuration = BackstopConfiguration.embeddedDefaults
        configuration.server.shutdownGrace = duration
        let rendered = configuration.rendered()
        #expect(rendered.contains("\nshutdown_grace = \"\(text)\"\n"))
        #expect(try parsed(rendered) == configuration)
    }
}
