import BackstopConfig
import Testing

@Suite("[admin] and [notify]: the admin listener and outage notifications")
struct AdminNotifySettingsTests {
    @Test func everyKeyIsRead() throws {
        let configuration = try parsed("""
            [admin]
            listen = "[::1]:9500"
            token = "0123456789abcdef0123"

            [notify]
            webhooks = ["http://127.0.0.1:8080/backstop?x=1", "http://Hooks.Example.org", "http://[::1]:81",
                        "https://hooks.slack.example/services/T0/B0", "HTTPS://[::1]:8443/x"]
            command = "logger -t backstop"
            queue_threshold = 0
            age_threshold = "0s"
            """)
        #expect(configuration.admin.listen == ListenAddress(host: "::1", port: 9500))
        #expect(configuration.admin.token == "0123456789abcdef0123")
        #expect(configuration.notify.webhooks == [
            WebhookURL(host: "127.0.0.1", port: 8080, path: "/backstop?x=1"),
            WebhookURL(host: "hooks.example.org", port: 80, path: "/"),
            WebhookURL(host: "::1", port: 81, path: "/"),
            WebhookURL(host: "hooks.slack.example", port: 443, path: "/services/T0/B0", isHTTPS: true),
            WebhookURL(host: "::1", port: 8443, path: "/x", isHTTPS: true),
        ])
        #expect(configuration.notify.webhooks.map(\.description).suffix(2) == ["https://hooks.slack.example/services/T0/B0", "https://[::1]:8443/x"])
        #expect(configuration.notify.command == "logger -t backstop")
        #expect(configuration.notify.queueThreshold == 0)
        #expect(configuration.notify.ageThreshold == .zero)
        #expect(configuration.notify.isEnabled)
    }

    @Test func anEmptyListenAddressTurnsTheAdminListenerOff() throws {
        let configuration = try parsed("[admin]\nlisten = \"\"\n")
        #expect(configuration.admin.listen == nil)
        #expect(configuration.rendered().contains("\n[admin]\nlisten = \"\"\n# token is not set\n"))
        #expect(try parsed(configuration.rendered()) == configuration)
    }

    @Test func settingsRoundTrip() throws {
        var configuration = BackstopConfiguration.embeddedDefaults
        configuration.admin = AdminSettings(listen: ListenAddress(host: "0.0.0.0", port: 8080), token: String(repeating: "x", count: 32))
        configuration.notify = NotifySettings(
            webhooks: [WebhookURL(host: "192.0.2.1", port: 8080, path: "/a/b"), WebhookURL(host: "chat.example.org")],
            command: "cat > /tmp/event", queueThreshold: 5, ageThreshold: .seconds(600), webhookCA: nil)
        configuration.notify.webhooks.append(WebhookURL(host: "hooks.example.org", port: 443, path: "/services/T0", isHTTPS: true))
        let rendered = configuration.rendered()
        #expect(rendered.contains(#"webhooks = ["http://192.0.2.1:8080/a/b", "http://chat.example.org/", "https://hooks.example.org/services/T0"]"#))
        #expect(try parsed(rendered) == configuration)
    }

    @Test(arguments: [
        ("[admin]\nlisten = \"localhost\"", #"[admin] listen: "localhost": missing port; write host:port, e.g. "localhost:25""#),
        ("[admin]\nlisten = \"127.0.0.1:2525\"", #"[admin] listen: "127.0.0.1:2525" is also a [server] listen address; give the admin listener its own port"#),
        ("[admin]\ntoken = \"short\"", "[admin] token: too short (5 characters); use at least 16, e.g. the output of `openssl rand -hex 32`"),
        ("[admin]\ntoken = \"has a space in it, sadly\"", "[admin] token: use printable ASCII without spaces, e.g. the output of `openssl rand -hex 32`"),
        ("[notify]\nwebhooks = [\"ftp://x\"]", #"[notify] webhooks: "ftp://x": expected an http:// or https:// URL"#),
        ("[notify]\nwebhook_ca = \"/nonexistent/ca.pem\"", #"[notify] webhook_ca: /nonexistent/ca.pem: cannot read file"#),
        ("[notify]\nwebhooks = [\"http:///path\"]", #"[notify] webhooks: "http:///path": missing host"#),
        ("[notify]\nwebhooks = [\"http://host:0/\"]", #"[notify] webhooks: "host:0": port must be between 1 and 65535"#),
        ("[notify]\nwebhooks = \"http://x\"", #"[notify] webhooks: expected an array"#),
        ("[notify]\ncommand = \"  \"", "[notify] command: empty; write a shell command or remove the key"),
        ("[notify]\nqueue_threshold = -1", "[notify] queue_threshold: must be at least 0 (found -1)"),
        ("[notify]\nage_threshold = 60", #"[notify] age_threshold: expected a duration such as "5m""#),
    ])
    func invalid(toml: String, problem: String) {
        let error = configError(toml)
        #expect(error?.contains(problem) == true, "\(error ?? "no error")")
    }
}
