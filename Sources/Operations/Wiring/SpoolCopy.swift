import BackstopConfig
import Foundation
import Logging
import PostgresSpool
import Spool
import SpoolContract

/// `backstop spool copy`: moves the mail of a SQLite spool into the configured PostgreSQL one,
/// message by message, each in one transaction. Messages already there (by queue ID) are left
/// alone, so a copy interrupted or run twice never stores a message twice.
public enum SpoolCopy {
    public struct Result: Sendable, Equatable {
        public var copied = 0
        /// Already in the PostgreSQL spool from an earlier copy.
        public var present = 0
    }

    public static func copy(fromSQLite path: String, to settings: SpoolSettings, logger: Logger) async throws -> Result {
        guard let url = settings.url else {
            throw SpoolError.other("the configuration has no [spool] url: copy needs the PostgreSQL spool to copy into")
        }
        let source = try Spool.openExisting(path: path, readOnly: true, logger: logger)
        defer { try? source.close() }
        let target = try await PostgresSpool.open(configuration: SpoolOpening.clientConfiguration(url), logger: logger,
                                                  dedupWindow: settings.dedupWindow)
        do {
            var result = Result()
            for message in try await source.messages(matching: QueueFilter(), now: Date()) {
                guard let content = try await source.messageData(of: message.queueID) else { continue }
                let log = try await source.deliveryLog(of: message.queueID)
                if try await target.importMessage(message, content: content, deliveryLog: log) {
                    result.copied += 1
                } else {
                    result.present += 1
                }
            }
            await target.close()
            return result
        } catch {
            await target.close()
            throw error
        }
    }
}
