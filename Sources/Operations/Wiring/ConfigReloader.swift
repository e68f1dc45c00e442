import BackstopConfig
import Foundation
import Listener
import SMTPProtocol
import Logging
import NIOSSL
import ServiceLifecycle
import BackstopSync
import UnixSignals

/// SIGHUP: reads the configuration file again and swaps in the TLS certificate, the recipients
/// file and the relay domains. Sessions keep what they started with; new ones get the new
/// settings; no connection is dropped. Anything wrong in the new file keeps the old settings
/// and is logged with the same one-line error `check-config` prints. Other changed keys are
/// named in the log: they take a restart.
final class ConfigReloader: Service, Sendable {
    let file: String
    private let environment: ListenerEnvironment
    private let hangups: UnixSignalsSequence
    private let running: Locked<BackstopConfiguration>
    private let logger: Logger

    /// `hangups` is made before the server starts, so a SIGHUP from then on is never fatal.
    init(file: String, configuration: BackstopConfiguration, environment: ListenerEnvironment,
         hangups: UnixSignalsSequence, logger: Logger) {
        self.file = file
        self.environment = environment
        self.hangups = hangups
        running = Locked(configuration)
        self.logger = logger
    }

    /// What SIGHUP swaps, built from a configuration; `serve` starts from the same.
    static func reloadable(from configuration: BackstopConfiguration, file: String) throws(ConfigError) -> ListenerEnvironment.Reloadable {
        let tls = try TLSContextLoader.load(configuration.tls, file: file)
        let directory = try configuration.relay.recipients.map { path throws(ConfigError) in try RecipientTable.load(path: path) }
        return .init(policy: RelayPolicy(domains: configuration.relay.domains, directory: directory,
                                         verifiesRecipients: configuration.relay.verify), tls: tls)
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            for await _ in self.hangups { self.reload() }
        }
    }

    /// Returns whether the new settings are in force.
    @discardableResult
    func reload() -> Bool {
        guard FileManager.default.fileExists(atPath: file) else {
            logger.error("SIGHUP: nothing reloaded: \(file) does not exist (started without a configuration file?)")
            return false
        }
        let configuration: BackstopConfiguration
        let reloadable: ListenerEnvironment.Reloadable
        do {
            configuration = try BackstopConfiguration.load(file: file)
            reloadable = try Self.reloadable(from: configuration, file: file)
        } catch {
            logger.error("SIGHUP: reload failed, keeping the previous configuration: \(error)")
            return false
        }
        environment.reload(reloadable)
        let old = running.withLock { running in
            defer { running = configuration }
            return running
        }
        let needRestart = Self.sectionsNeedingRestart(old, configuration)
        logger.notice("SIGHUP: reloaded \(file): TLS \(configuration.tls.certificate ?? "off"), relay domains \(configuration.relay.domains.joined(separator: " ")), recipients \(configuration.relay.recipients ?? "any")")
        if !needRestart.isEmpty {
            logger.warning("SIGHUP: changes to \(needRestart.joined(separator: ", ")) take effect only after a restart")
        }
        return true
    }

    /// Sections other than [tls] and [relay] whose settings differ: they are read once at start.
    static func sectionsNeedingRestart(_ old: BackstopConfiguration, _ new: BackstopConfiguration) -> [String] {
        var sections: [String] = []
        if old.server != new.server { sections.append("[server]") }
        if old.spool != new.spool { sections.append("[spool]") }
        if old.primary != new.primary { sections.append("[primary]") }
        if old.bounce != new.bounce { sections.append("[bounce]") }
        if old.admin != new.admin { sections.append("[admin]") }
        if old.notify != new.notify { sections.append("[notify]") }
        if old.log != new.log { sections.append("[log]") }
        if old.dns != new.dns { sections.append("[dns]") }
        if old.reputation != new.reputation { sections.append("[reputation]") }
        if old.limits != new.limits { sections.append("[limits]") }
        if old.filter != new.filter { sections.append("[filter]") }
        if old.greylist != new.greylist { sections.append("[greylist]") }
        return sections
    }
}
