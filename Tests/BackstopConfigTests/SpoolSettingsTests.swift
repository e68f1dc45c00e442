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

@Suite("[spool] url: a PostgreSQL spool instead of the SQLite file")
struct SpoolURLSettingsTests {
    @Test func urlIsRead() throws {
        let spool = try parsed("""
            [spool]
            url = "postgresql://backstop:s%40cret@db.example.org:6543/queue?sslmode=verify-full&sslrootcert=/etc/ssl/pg.pem"
            """).spool
        let url = try #require(spool.url)
        #expect(url.user == "backstop")
        #expect(url.password == "s@cret")
        #expect(url.host == "db.example.org")
        #expect(url.port == 6543)
        #expect(url.database == "queue")
        #expect(url.tlsMode == .verifyFull)
        #expect(url.rootCertificateFile == "/etc/ssl/pg.pem")
        #expect(!url.description.contains("cret"), "the password never reaches a log line")
    }

    @Test func portAndTLSModeDefaults() throws {
        let url = try #require(try parsed("[spool]\nurl = \"postgres://backstop@db.example.org/queue\"\n").spool.url)
        #expect(url.port == 5432)
        #expect(url.tlsMode == .prefer)
        #expect(url.password == nil && url.rootCertificateFile == nil)
    }

    @Test(arguments: [
        ("path = \"spool/x.sqlite\"\nurl = \"postgresql://u@h/d\"",
         "url: cannot be set together with path; keep only one of path and url"),
        ("url = \"mysql://u@h/d\"",
         "url: expected a postgresql:// URL; write postgresql://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=verify-full]"),
        ("url = \"postgresql://u:secret@/d\"",
         "url: the URL names no host; write postgresql://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=verify-full]"),
        ("url = \"postgresql://db.example.org/d\"",
         "url: the URL names no user; write postgresql://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=verify-full]"),
        ("url = \"postgresql://u@db.example.org\"",
         "url: the URL names no database (the path after the host); write postgresql://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=verify-full]"),
        ("url = \"postgresql://u@h:70000/d\"", "url: port 70000 is not between 1 and 65535"),
        ("url = \"postgresql://u@h/d?sslmode=sometimes\"",
         "url: sslmode \"sometimes\" is not one of disable, prefer, require, verify-ca, verify-full"),
        ("url = \"postgresql://u@h/d?sslrootcert=/ca.pem\"",
         "url: sslrootcert is only used with sslmode=verify-ca or verify-full"),
        ("url = \"postgresql://u@h/d?connect_timeout=5\"",
         "url: unknown parameter \"connect_timeout\" in the URL; Backstop reads sslmode and sslrootcert"),
    ])
    func refused(toml: String, problem: String) {
        #expect(configError("[spool]\n\(toml)\n") == "config/x.toml: [spool] \(problem)")
    }

    @Test func renderedWithoutPathReadsBack() throws {
        let configuration = try parsed("[spool]\nurl = \"postgresql://u@db.example.org/queue\"\n")
        let rendered = configuration.rendered()
        #expect(rendered.contains("\n# path is not used\nurl = \"postgresql://u@db.example.org/queue\"\n"))
        #expect(try parsed(rendered) == configuration)
    }
}
