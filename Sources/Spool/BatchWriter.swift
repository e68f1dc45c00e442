import Foundation
import GRDB

/// Writes a batch of messages in one transaction, each inside its own
/// savepoint, so that one bad message fails alone and the rest share a commit.
struct BatchWriter {
    let db: Database
    let beforeCommit: (@Sendable (Database) throws -> Void)?

    func write(_ messages: [IncomingMessage]) -> [GroupCommitter.Outcome] {
        var outcomes = [GroupCommitter.Outcome?](repeating: nil, count: messages.count)
        var remaining = Array(messages.indices)

        while !remaining.isEmpty {
            var written: [(index: Int, message: MessageWriter.Written)] = []
            var transactionLost = false
            do {
                try db.inTransaction(.immediate) {
                    for index in remaining {
                        do {
                            var message: MessageWriter.Written?
                            try db.inSavepoint {
                                message = try MessageWriter.write(messages[index], to: db)
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
                outcomes[index] = .success(StoredReceipt(
                    queueID: message.queueID, size: message.size, chunkCount: message.chunkCount,
                    committedAt: committedAt, batchSize: written.count))
            }
            break
        }
        return outcomes.map { $0 ?? .failure(.other("message was not written")) }
    }
}
