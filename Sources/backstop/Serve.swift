import ArgumentParser
import BackstopConfig
import Logging
import Operations

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the SMTP listener and spool until SIGTERM or SIGINT.",
        discussion: """
            Runs on the embedded defaults when there is no configuration file: SMTP on 127.0.0.1:2525,
            spool at spool/backstop.sqlite, relay domain example.test.

            Example: backstop serve --config /etc/backstop/backstop.toml
            """)

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let (configuration, file) = try options.load()
        LogSetup.bootstrap(configuration.log)
        let logger = Logger(label: "backstop")
        let server: BackstopServer
        do {
            server = try await BackstopServer(configuration: configuration, configFile: file, logger: logger)
        } catch let error as ConfigError {
            printError("\(error)")
            throw ExitCode(2)
        } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
        logger.info("started with configuration from \(file)")
        if let warning = configuration.relay.backscatterWarning { logger.warning("\(warning)") }
        try await server.run()
    }
}
