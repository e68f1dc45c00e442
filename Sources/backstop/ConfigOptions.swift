import ArgumentParser
import BackstopConfig
import Foundation

/// `--config FILE`, shared by every command so they all read the same file.
struct ConfigOptions: ParsableArguments {
    static let defaultPath = "/etc/backstop/backstop.toml"

    @Option(name: .long, help: ArgumentHelp(
        "Configuration file (TOML).",
        discussion: "Without it, \(defaultPath) is read if it exists, else the embedded defaults are used.",
        valueName: "file"))
    var config: String?

    /// The configuration and the name of the file it came from (for messages).
    func load() throws -> (BackstopConfiguration, String) {
        if let config { return (try Self.loadOrExit(config), config) }
        if FileManager.default.fileExists(atPath: Self.defaultPath) {
            return (try Self.loadOrExit(Self.defaultPath), Self.defaultPath)
        }
        return (.embeddedDefaults, "(embedded defaults)")
    }

    private static func loadOrExit(_ path: String) throws -> BackstopConfiguration {
        do {
            return try BackstopConfiguration.load(file: path)
        } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data("backstop: \(message)\n".utf8))
}
