import BackstopDefaults
import Foundation
import Listener
import Logging
import NIOPosix
import ServiceLifecycle

/// Copies the listener's refusal counts to `refusals.json` beside the spool every few seconds
/// while they change, and once more at shutdown, on the blocking-I/O pool.
final class RefusalFileWriter: Service, Sendable {
    let log: RefusalLog
    let spoolPath: String
    let interval: Duration
    private let logger: Logger

    init(log: RefusalLog, spoolPath: String, interval: Duration, logger: Logger) {
        self.log = log
        self.spoolPath = spoolPath
        self.interval = interval
        self.logger = logger
    }

    func run() async throws {
        let written = await cancelWhenGracefulShutdown { () -> [RefusalLog.Minute]? in
            var written: [RefusalLog.Minute]?
            while !Task.isCancelled {
                written = await self.write(unless: written)
                do { try await Task.sleep(for: self.interval) } catch { break }
            }
            return written
        }
        _ = await write(unless: written)
    }

    /// Writes the current minutes unless they are `previous`; returns what the file holds.
    private func write(unless previous: [RefusalLog.Minute]?) async -> [RefusalLog.Minute]? {
        let minutes = log.recentMinutes
        guard minutes != previous else { return previous }
        let path = spoolPath
        do {
            try await NIOThreadPool.singleton.runIfActive { try RefusalFile.write(minutes, forSpoolAt: path) }
            return minutes
        } catch {
            logger.warning("cannot write \(RefusalFile.path(forSpoolAt: path)) for backstop status: \(error)")
            return previous
        }
    }
}
