import BackstopConfig
import Testing

@Suite("[spool]: retries, expiry, delay warning, duplicate suppression")
struct SpoolSettingsTests {
    @Test func everyKeyIsRead() throws {
        let spool = try parsed("""
            [spool]
            retry_min = "1m"
            retry_max = "4h"
            max_age = "3d"
            delay_warning = "4h"
            dedup_window = "0s"
            history_retention = "7d"
            """).spool
        #expect(spool.retryMin == .seconds(60))
        #expect(spool.retryMax == .seconds(4 * 3600))
        #expect(spool.maxAge == .seconds(3 * 86_400))
        #expect(spool.delayWarning == .seconds(4 * 3600))
        #expect(spool.dedupWindow == .zero)
        #expect(spool.historyRetention == .seconds(7 * 86_400))
    }

    @Test func retryMaxMayEqualRetryMin() throws {
        let spool = try parsed("[spool]\nretry_min = \"10m\"\nretry_max = \"10m\"\n").spool
        #expect(spool.retryMin == spool.retryMax)
    }

    @Test(arguments: [
        (#"retry_min = "0s""#, #"retry_min: must be at least 1s (found "0s")"#),
        (#"retry_max = "0s""#, #"retry_max: must be at least 1s (found "0s")"#),
        (#"max_age = "0s""#, #"max_age: must be at least 1s (found "0s")"#),
        (#"delay_warning = "0s""#, #"delay_warning: must be at least 1s (found "0s")"#),
        ("delay_warning = false", #"delay_warning: expected a duration such as "5m", found a boolean (false)"#),
        (#"dedup_window = "-1m""#, #"dedup_window: "-1m" is not a duration; write a whole number and a unit, e.g. "30s" (units: ms, s, m, h, d)"#),
        (#"history_retention = "30s""#, #"history_retention: must be at least 1m (found "30s")"#),
        (#"retry_min = "2h""#, #"retry_max: "1h" is shorter than retry_min ("2h"); make it at least as long"#),
        (#"retry_max = "1m""#, #"retry_max: "1m" is shorter than retry_min ("5m"); make it at least as long"#),
        (#"delay_warning = "5d""#, #"delay_warning: "5d" is not shorter than max_age ("5d"), so mail expires before the warning; shorten it, or remove it for no warning"#),
        ("max_age = \"2h\"\ndelay_warning = \"3h\"",
         #"delay_warning: "3h" is not shorter than max_age ("2h"), so mail expires before the warning; shorten it, or remove it for no warning"#),
    ])
    func invalid(toml: String, problem: String) {
        #expect(configError("[spool]\n\(toml)\n") == "config/x.toml: [spool] \(problem)")
    }
}
