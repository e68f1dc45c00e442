import Foundation
import GRDB

/// Writes a batch of messages in one transaction, each inside its own
/// savepoint, so that one bad message fails alone and the rest share a commit.
/// A message that repeats one already stored is acknowledged and not written.
struct BatchWriter {
    let db: Database
    let recentMessages: RecentMessages
    let beforeCommit: (@Sendable (Database) throws -> Void)?

    private enum Written {
        case stored(MessageWriter.Written)
        case duplicate(of: QueueID)
    }

    func write(_ messages: [IncomingMessage]) -> [GroupCommitter.Outcome] {
        var outcomes = [GroupCommitter.Outcome?](repeating: nil, count: messages.count)
        var remaining = Array(messages.indices)

        while !remaining.isEmpty {
            var written: [(index: Int, message: Written)] = []
            var transactionLost = false
            do {
                try db.inTransaction(.immediate) {
                    try recentMessages.prune(forBatch: remaining.map { messages[$0] }, db)
                    for index in remaining {
                        do {
                            var message: Written?
                            try db.inSavepoint {
                                message = try write(messages[index])
                                return .commit
                            }
                            if let message {
                                written.append((index, message))
                            }
                        } catch {
                            outcomes[index] = .failure(SpoolError(error))
                            // SQLITE_FULL, IOERR and friends may roll back the
                            // whole transaction, taking earlier messages with it.
                            if !db.isInsideTransaction {
                                transactionLost = true
                                return .rollback
                            }
                        }
                    }
                    try beforeCommit?(db)
                    return .commit
                }
            } catch {
                // BEGIN or COMMIT failed: nothing of this batch is in the database.
                let failure = SpoolError(error)
                for index in remaining where outcomes[index] == nil {
                    outcomes[index] = .failure(failure)
                }
                break
            }
            if transactionLost {
                // Write the survivors again, without the message that failed.
                remaining.removeAll { outcomes[$0] != nil }
                continue
            }
            let committedAt = Date()
            for (index, message) in written {
                outcomes[index] = switch message {
                case .stored(let message):
                    .success(StoredReceipt(
                        queueID: message.queueID, size: message.size, chunkCount: message.chunkCount,
                        committedAt: committedAt, batchSize: written.count))
                case .duplicate(let original):
                    .success(StoredReceipt(
                        queueID: original, size: 0, chunkCount: 0, committedAt: committedAt,
                        batchSize: written.count, isDuplicate: true))
                }
            }
            break
        }
        return outcomes.map { $0 ?? .failure(.other("message was not written")) }
    }

    /// Inside the message's savepoint, so a failed write forgets the message's memory too.
    private func write(_ message: IncomingMessage) throws -> Written {
        if let original = try recentMessages.original(of: message.envelope, db) {
            return .duplicate(of: original)
        }
        let stored = try MessageWriter.write(message, to: db)
        try recentMessages.remember(message.envelope, db)
        return .stored(stored)
    }
}
