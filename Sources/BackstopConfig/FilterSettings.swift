/// `[filter]`: the content filter every message is shown to at the end of DATA, after
/// authentication and before it is stored. rspamd's HTTP protocol (`/checkv2`).
public struct FilterSettings: Equatable, Sendable {
    /// rspamd's normal worker, `http://host:port` (or https); nil: no content filter.
    public var rspamd: String?
    /// What a message gets when rspamd does not answer in time or answers nonsense.
    public var onError: FilterFailureAction
    /// How long one message may wait for rspamd's answer.
    public var timeout: Duration

    public init(rspamd: String?, onError: FilterFailureAction, timeout: Duration) {
        self.rspamd = rspamd
        self.onError = onError
        self.timeout = timeout
    }
}

/// `[filter] on_error`.
public enum FilterFailureAction: String, CaseIterable, Equatable, Sendable {
    /// `451 4.7.1`: the sender keeps the message and tries again.
    case tempfail
    /// The message is stored unscanned.
    case accept
}

extension FilterSettings {
    static var section: ConfigSection<FilterSettings> {
        ConfigSection(name: "filter", keys: [
            ConfigKey("rspamd", \.rspamd, .text(rspamdURL)),
            ConfigKey("on_error", \.onError, .choice),
            ConfigKey("timeout", \.timeout, .duration(atLeast: .milliseconds(100))),
        ])
    }

    /// `http://host:port` or `https://host:port`, without a path: `/checkv2` is added.
    static func rspamdURL(_ text: String) throws(ValueError) -> String {
        let lower = text.lowercased()
        let scheme = lower.hasPrefix("http://") ? "http://" : lower.hasPrefix("https://") ? "https://" : nil
        guard let scheme else {
            throw ValueError("\(quoted(text)): expected rspamd's address as a URL, e.g. \"http://127.0.0.1:11333\"")
        }
        var authority = String(text.dropFirst(scheme.count))
        if authority.hasSuffix("/") { authority.removeLast() }
        guard !authority.isEmpty, !authority.contains("/"), !authority.contains("@"), !authority.contains("?"),
              !authority.contains(where: { $0.isWhitespace || $0 == "#" }) else {
            throw ValueError("\(quoted(text)): write only the scheme, host and port, e.g. \"http://127.0.0.1:11333\" (Backstop adds /checkv2)")
        }
        let hasPort = authority.hasPrefix("[") ? authority.contains("]:") : authority.contains(":")
        _ = try HostPortSyntax.parse(hasPort ? authority : authority + (scheme == "https://" ? ":443" : ":80"), missingHost: "write rspamd's host name or address")
        return scheme + authority
    }
}
