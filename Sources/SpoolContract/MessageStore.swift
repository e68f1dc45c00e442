/// Message intake: what the listener needs of the spool. Tests of the listener can stand in
/// a store that fails on purpose, to check the 4xx replies.
public protocol MessageStore: Sendable {
    /// Returns once the message is durably committed; throws `SpoolError` otherwise.
    func store(_ message: IncomingMessage) async throws -> StoredReceipt
}
