import ArgumentParser
import BackstopConfig
import Operations

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration and print the effective settings.",
        discussion: """
            Exits 0 and prints every setting (defaults filled in) as TOML when the file is valid;
            prints one line naming the file and key and exits 2 when it is not. With [arc] set it
            ends with the DNS record of the ARC key, as a comment to copy into the zone.

            Example: backstop check-config --config /etc/backstop/backstop.toml
            """)

    @OptionGroup var options: ConfigOptions

    func run() throws {
        let (configuration, file) = try options.load()
        let arcRecord: String?
        do {
            _ = try TLSContextLoader.load(configuration.tls, file: file)
            if let recipients = configuration.relay.recipients { _ = try RecipientTable.load(path: recipients) }
            arcRecord = try ARCKeyRecord.zoneLine(configuration, configFile: file)
        } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
        // On standard error, so that standard output stays the effective configuration.
        if let warning = configuration.relay.backscatterWarning { printError("warning: \(warning)") }
        print("# effective configuration from \(file)")
        print(configuration.rendered(), terminator: "")
        // A comment, so that the output stays valid TOML.
        if let arcRecord { print("\n# [arc] key record to publish in DNS:\n# \(arcRecord)") }
    }
}
