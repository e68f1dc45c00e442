import ArgumentParser

@main
struct Backstop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backstop",
        abstract: "A backup MX: accepts mail while the primary mail host is down and replays it when it is back.",
        discussion: """
            Start the relay with `backstop serve`; check a configuration with `backstop check-config`.

            Operating the queue, also while serve runs:
              status                        is the primary up? how much mail waits?
              queue list, queue summary     what waits, for whom (mailq, qshape)
              queue show ID, queue cat ID   one message: envelope, history, bytes
              queue hold|release|delete     steer messages by ID or --all (postsuper)
              queue retry, queue flush      send now (postqueue -i, postqueue -f)
              route pause|resume DOMAIN     stop or restart replay to one domain
              user add|list|passwd|delete|totp   who may read held mail in the emergency inbox

            Every command reads the same configuration file (--config, default \(ConfigOptions.defaultPath)); \
            the operator commands also take --spool PATH.
            """,
        subcommands: [Serve.self, CheckConfig.self, Status.self, Queue.self, Route.self, User.self, SpoolCommand.self])
}
