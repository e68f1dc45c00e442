import Foundation
import GRDB

/// Writes a batch of arriving messages by the spool's batch policy (`SavepointBatch`): one
/// transaction, each message in its own savepoint, so one bad message fails alone and the rest
/// share a commit. A message that repeats one already stored is acknowledged and not written.
struct BatchWriter {
    let db: Database
    let recentMessages: RecentMessages
    let beforeCommit: (@Sendable (Database) throws -> Void)?

    private enum Written {
        case stored(MessageWriter.Written)
        case duplicate(of: QueueID)
    }

    func write(_ messages: [IncomingMessage]) -> [GroupCommitter.Outcome] {
        var commits: [(at: Date, size: Int)] = []
        let batch = SavepointBatch<IncomingMessage, Written>(
            db: db,
            prologue: { members, db in try recentMessages.prune(forBatch: members, db) },
            beforeCommit: beforeCommit,
            write: { message, db in try write(message, db) })
        let results = batch.run(messages) { size in commits.append((Date(), size)) }
        let committedAt = commits.last?.at ?? Date()
        // Messages written again alone committed in transactions of their own.
        let batchSize = commits.count == 1 ? commits[0].size : 1
        return results.map { result in
            switch result {
            case .success(.stored(let message)):
                .success(StoredReceipt(
                    queueID: message.queueID, size: message.size, chunkCount: message.chunkCount,
                    committedAt: committedAt, batchSize: batchSize))
            case .success(.duplicate(let original)):
                .success(StoredReceipt(
                    queueID: original, size: 0, chunkCount: 0, committedAt: committedAt,
                    batchSize: batchSize, isDuplicate: true))
            case .failure(let error):
                .failure(SpoolError(error))
            }
        }
    }

    /// Inside the message's savepoint, so a failed write forgets the message's memory too. The
    /// content's digest is known only once the body has streamed in: a copy is written, then
    /// its savepoint rolled back. Copies are rare; reading every body twice would not be.
    private func write(_ message: IncomingMessage, _ db: Database) throws -> SavepointBatch<IncomingMessage, Written>.Disposition {
        let stored = try MessageWriter.write(message, to: db)
        if let original = try recentMessages.original(of: message.envelope, contentDigest: stored.contentDigest, db) {
            return .discard(.duplicate(of: original))
        }
        try recentMessages.remember(message.envelope, contentDigest: stored.contentDigest, db)
        return .keep(.stored(stored))
    }
}
