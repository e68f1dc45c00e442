import ArgumentParser
import BackstopConfig
import Logging
import Operations

struct Serve: AsyncParsableCommand {
    private static let defaults = BackstopConfiguration.embeddedDefaults
    private static let listen = defaults.server.listen.map(\.description).joined(separator: ", ")
    private static let domains = defaults.relay.domains.joined(separator: ", ")
    static let configuration = CommandConfiguration(
        abstract: "Run the SMTP listener and spool until SIGTERM or SIGINT.",
        discussion: """
            Runs on the embedded defaults when there is no configuration file: SMTP on \(listen),
            spool at \(defaults.spool.path), relay domain \(domains).

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
