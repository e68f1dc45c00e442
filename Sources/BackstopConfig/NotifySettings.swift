/// `[notify]`: whom Backstop tells, at once, when a primary goes down or comes back and when
/// the backlog grows past a threshold.
public struct NotifySettings: Equatable, Sendable {
    /// Each event is POSTed as JSON to every one of these.
    public var webhooks: [WebhookURL]
    /// Run with `/bin/sh -c` for each event, the event's JSON on standard input.
    public var command: String?
    /// Messages in the spool at which `queue_threshold` fires; 0 turns it off.
    public var queueThreshold: Int
    /// Age of the oldest spooled message at which `age_threshold` fires; zero turns it off.
    public var ageThreshold: Duration
    /// PEM certificates trusted for https webhooks besides the system trust store.
    public var webhookCA: String?

    public init(webhooks: [WebhookURL], command: String?, queueThreshold: Int, ageThreshold: Duration, webhookCA: String?) {
        self.webhookCA = webhookCA
        self.webhooks = webhooks
        self.command = command
        self.queueThreshold = queueThreshold
        self.ageThreshold = ageThreshold
    }

    /// Whether any event goes anywhere.
    public var isEnabled: Bool { !webhooks.isEmpty || command != nil }
}

/// An `http://` or `https://host[:port][/path]` address. https is verified against the
/// system trust store (and `[notify] webhook_ca`): Slack, Teams and PagerDuty endpoints are
/// https; plain http suits a local relay.
public struct WebhookURL: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// Starts with "/"; includes any query.
    public var path: String
    public var isHTTPS: Bool

    public init(host: String, port: Int = 80, path: String = "/", isHTTPS: Bool = false) {
        self.host = host
        self.port = port
        self.path = path
        self.isHTTPS = isHTTPS
    }

    public var description: String {
        let name = host.contains(":") ? "[\(host)]" : host
        let defaultPort = isHTTPS ? 443 : 80
        return "\(isHTTPS ? "https" : "http")://\(name)\(port == defaultPort ? "" : ":\(port)")\(path)"
    }

    static func parse(_ text: String) throws(ValueError) -> WebhookURL {
        let lower = text.lowercased()
        let isHTTPS = lower.hasPrefix("https://")
        guard isHTTPS || lower.hasPrefix("http://") else {
            throw ValueError("\(quoted(text)): expected an http:// or https:// URL, e.g. \"https://hooks.example.org/backstop\"")
        }
        let rest = text.dropFirst(isHTTPS ? "https://".count : "http://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = String(rest[..<slash])
        let path = slash == rest.endIndex ? "/" : String(rest[slash...])
        guard !authority.isEmpty, !authority.contains("@") else {
            throw ValueError("\(quoted(text)): missing host (user info is not supported)")
        }
        guard !path.contains(where: { $0.isWhitespace || $0 == "#" }) else {
            throw ValueError("\(quoted(text)): the path must not contain spaces or a fragment (#)")
        }
        let hasPort = authority.hasPrefix("[") ? authority.contains("]:") : authority.contains(":")
        let (host, port) = try HostPortSyntax.parse(hasPort ? authority : authority + (isHTTPS ? ":443" : ":80"),
                                                    missingHost: "write the receiver's host name or address")
        return WebhookURL(host: host, port: port, path: path, isHTTPS: isHTTPS)
    }
}

extension NotifySettings {
    static var section: ConfigSection<NotifySettings> {
        ConfigSection(name: "notify", keys: [
            ConfigKey("webhooks", \.webhooks, .list(
                example: "http://127.0.0.1:8080/backstop", allowsEmpty: true, item: WebhookURL.parse,
                render: \.description)),
            ConfigKey("command", \.command, .text { command throws(ValueError) in
                guard !command.allSatisfy(\.isWhitespace) else {
                    throw ValueError("empty; write a shell command or remove the key")
                }
                return command
            }),
            ConfigKey("queue_threshold", \.queueThreshold, .integer(atLeast: 0)),
            ConfigKey("age_threshold", \.ageThreshold, .duration(atLeast: .zero)),
            ConfigKey("webhook_ca", \.webhookCA, .path),
        ], check: { notify, _, context throws(ConfigError) in
            guard let path = notify.webhookCA else { return }
            do throws(ValueError) {
                _ = try TextFile.contents(of: path)
            } catch {
                throw context.error("webhook_ca", "\(path): cannot read file: \(error.problem)")
            }
        })
    }
}
