/// `[spool]`: where the spool lives (a SQLite file, or a PostgreSQL database that several
/// nodes share), how often deferred mail is retried and how
/// long mail is kept before it is returned to its sender.
public struct SpoolSettings: Equatable, Sendable {
    /// The database file; relative paths are taken from the working directory. Not used when
    /// `url` is set.
    public var path: String
    /// The PostgreSQL database instead of the SQLite file; exactly one of `path` and `url`
    /// may be written in a file.
    public var url: SpoolURL?
    /// First wait after a 4xx; each further deferral doubles it (with jitter).
    public var retryMin: Duration
    /// The longest wait between retries.
    public var retryMax: Duration
    /// Age, counted from arrival, at which undelivered mail expires and is returned in a
    /// DSN (RFC 5321 §4.5.4.1 suggests 4 to 5 days).
    public var maxAge: Duration
    /// Age at which the sender is warned that the mail is delayed; nil: never warned.
    public var delayWarning: Duration?
    /// A message with the Message-ID, sender and recipients of one that arrived this
    /// recently is acknowledged but stored once; zero turns the check off.
    public var dedupWindow: Duration
    /// How long the delivery log and the primary's health history are kept.
    public var historyRetention: Duration
}

extension SpoolSettings {
    static var section: ConfigSection<SpoolSettings> {
        ConfigSection(
            name: "spool",
            keys: [
                // Rendered as a comment while `url` is set, so the file reads back as it was.
                ConfigKey("path", \.path, .path, renderedUnless: { $0.url != nil }),
                ConfigKey("url", \.url, .string(SpoolURL.parse, render: \.text)),
                ConfigKey("retry_min", \.retryMin, .duration(atLeast: .seconds(1))),
                ConfigKey("retry_max", \.retryMax, .duration(atLeast: .seconds(1))),
                ConfigKey("max_age", \.maxAge, .duration(atLeast: .seconds(1))),
                ConfigKey("delay_warning", \.delayWarning, .duration(atLeast: .seconds(1))),
                ConfigKey("dedup_window", \.dedupWindow, .duration(atLeast: .zero)),
                ConfigKey("history_retention", \.historyRetention, .duration(atLeast: .seconds(60))),
            ],
            exclusiveKeys: ["path", "url"],
            check: { spool, _, context throws(ConfigError) in
                if spool.retryMax < spool.retryMin {
                    throw context.error("retry_max", "\(spoken(spool.retryMax)) is shorter than retry_min (\(spoken(spool.retryMin))); make it at least as long")
                }
                if let warning = spool.delayWarning, warning >= spool.maxAge {
                    throw context.error("delay_warning", "\(spoken(warning)) is not shorter than max_age (\(spoken(spool.maxAge))), so mail expires before the warning; shorten it, or remove it for no warning")
                }
            })
    }

    private static func spoken(_ duration: Duration) -> String {
        quoted(DurationSyntax.render(duration))
    }
}
