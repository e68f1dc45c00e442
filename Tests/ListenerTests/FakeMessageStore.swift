import Foundation
import Spool
import SpoolContract
import Synchronization

/// A `MessageStore` that answers as told and keeps what it was given.
final class FakeMessageStore: MessageStore {
    enum Answer: Sendable {
        case store
        /// The message repeats one stored earlier under this queue ID.
        case duplicate(of: QueueID)
        case fail(any Error & Sendable)
    }

    private let state: Mutex<(answer: Answer, stored: [IncomingMessage])>

    init(_ answer: Answer = .store) {
        state = Mutex((answer, []))
    }

    /// Every message handed to `store`, including those it failed.
    var messages: [IncomingMessage] { state.withLock { $0.stored } }

    func store(_ message: IncomingMessage) async throws -> StoredReceipt {
        let answer = state.withLock { state in
            state.stored.append(message)
            return state.answer
        }
        switch answer {
        case .store:
            return StoredReceipt(queueID: message.envelope.queueID, size: 1, chunkCount: 1, committedAt: Date(), batchSize: 1)
        case .duplicate(let earlier):
            return StoredReceipt(queueID: earlier, size: 0, chunkCount: 0, committedAt: Date(), batchSize: 1,
                                 isDuplicate: true)
        case .fail(let error):
            throw error
        }
    }
}
