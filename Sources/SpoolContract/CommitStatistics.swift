/// Counters that show group commit at work (and feed metrics).
public struct CommitStatistics: Sendable, Equatable {
    /// Batches written; each successful one cost a single fsync.
    public var batches = 0
    public var messagesCommitted = 0
    public var messagesFailed = 0
    /// Copies of a message acknowledged without being stored again.
    public var duplicatesSuppressed = 0
    /// Messages taken together by the most recent batch.
    public var lastBatchSize = 0
    public var largestBatchSize = 0

    public init() {}

    package init(batches: Int, messagesCommitted: Int, messagesFailed: Int, lastBatchSize: Int, largestBatchSize: Int,
                 duplicatesSuppressed: Int = 0) {
        self.batches = batches
        self.messagesCommitted = messagesCommitted
        self.messagesFailed = messagesFailed
        self.duplicatesSuppressed = duplicatesSuppressed
        self.lastBatchSize = lastBatchSize
        self.largestBatchSize = largestBatchSize
    }
}
