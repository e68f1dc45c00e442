import BackstopSync
import Forwarder
import Foundation
import Logging
import Metrics
import SMTPProtocol
import SpoolContract

/// What the primaries last offered in EHLO, kept in memory for the listener (read at every
/// EHLO, on an event loop, so never from the spool) and in the spool for the next start and
/// the other nodes. The listener offers the most restrictive of every configured primary
/// host that is known (`PrimaryLimits`); until one is, its own limits.
final class PrimaryCapabilityBoard: CapabilityObserver {
    private struct State {
        var known: [String: PrimaryCapabilities] = [:]
        var offered: OfferedExtensions?
        /// Hosts that answered EHLO over TLS since the start: what they offer in plaintext (to
        /// a probe) is not what deliveries get, and would only make the value flap.
        var secure: Set<String> = []
    }

    /// Every primary host, default and per-domain routes alike, as `host:port`: the bounce
    /// relay shares the client, and what it offers limits nothing.
    private let hosts: Set<String>
    private let ownMaxSize: Int
    private let store: any PrimaryCapabilityStore
    private let logger: Logger
    private let state = Locked(State())

    init(hosts: [PrimaryHost], ownMaxSize: Int, store: any PrimaryCapabilityStore, logger: Logger) {
        self.hosts = Set(hosts.map(\.description))
        self.ownMaxSize = ownMaxSize
        self.store = store
        self.logger = logger
    }

    /// What sessions offer from their next EHLO on; nil while no primary is known.
    var offered: OfferedExtensions? { state.withLock { $0.offered } }

    /// Takes what the spool remembers for hosts not observed since the start.
    func load() async {
        let stored: [String: PrimaryCapabilities]
        do {
            stored = try await store.primaryCapabilities()
        } catch {
            logger.error("cannot read the primaries' capabilities from the spool; offering our own limits until a probe",
                         metadata: ["error": "\(error)"])
            return
        }
        let offered = state.withLock { state -> OfferedExtensions? in
            for (host, capabilities) in stored where hosts.contains(host) && state.known[host] == nil {
                state.known[host] = capabilities
            }
            state.offered = PrimaryLimits.offered(ownMaxSize: ownMaxSize, primaries: state.known.values)
            return state.offered
        }
        if let offered {
            report(offered, because: "remembered from the spool")
        } else {
            Gauge(label: BackstopMetrics.offeredSize).record(ownMaxSize)
        }
    }

    func observed(_ ehlo: EHLOCapabilities, of host: PrimaryHost, secure: Bool) {
        let key = host.description
        guard hosts.contains(key) else { return }
        let capabilities = PrimaryCapabilities(ehlo)
        let change = state.withLock { state -> (before: OfferedExtensions?, after: OfferedExtensions?)? in
            if secure { state.secure.insert(key) } else if state.secure.contains(key) { return nil }
            guard state.known[key] != capabilities else { return nil }
            state.known[key] = capabilities
            let before = state.offered
            state.offered = PrimaryLimits.offered(ownMaxSize: ownMaxSize, primaries: state.known.values)
            return (before, state.offered)
        }
        guard let change else { return }
        logger.info("primary host capabilities", metadata: [
            "host": "\(key)", "size": "\(capabilities.sizeLimit.map(String.init) ?? "none")",
            "smtputf8": "\(capabilities.smtpUTF8)", "8bitmime": "\(capabilities.eightBitMIME)",
            "dsn": "\(capabilities.dsn)", "chunking": "\(capabilities.chunking)",
        ])
        if let after = change.after, after != change.before { report(after, because: "\(key) changed") }
        let store = self.store, logger = self.logger, at = Date()
        // Only the next start's and the other nodes' memory: the listener already reads the new value.
        Task {
            do {
                try await store.recordPrimaryCapabilities(capabilities, host: key, observedAt: at)
            } catch {
                logger.error("cannot store a primary's capabilities", metadata: ["host": "\(key)", "error": "\(error)"])
            }
        }
    }

    private func report(_ offered: OfferedExtensions, because reason: String) {
        logger.notice("offering senders what the primaries take", metadata: [
            "size": "\(offered.maxMessageSize)", "smtputf8": "\(offered.smtpUTF8)",
            "8bitmime": "\(offered.eightBitMIME)", "reason": "\(reason)",
        ])
        Gauge(label: BackstopMetrics.offeredSize).record(offered.maxMessageSize)
    }
}
