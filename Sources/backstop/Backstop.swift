import ArgumentParser

@main
struct Backstop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backstop",
        abstract: "A backup MX: accepts mail while the primary mail host is down and replays it when it is back.",
        discussion: """
            Start the relay with `backstop serve`; check a configuration with `backstop check-config`.
            Every command reads the same configuration file (--config, default \(ConfigOptions.defaultPath)).
            """,
        subcommands: [Serve.self, CheckConfig.self])
}
