import Foundation

/// The operator's changes to the queue (`backstop queue …`, `backstop route …`).
public protocol QueueAdmin: Sendable {
    /// Keeps messages out of replay until released.
    func hold(_ selection: QueueSelection, now: Date) async throws -> [MessageChange]
    /// Lets held messages be delivered again (the opposite of `hold`).
    func release(_ selection: QueueSelection, now: Date) async throws -> [MessageChange]
    /// Makes messages due at once.
    func retry(_ selection: QueueSelection, now: Date) async throws -> [MessageChange]
    func delete(_ selection: QueueSelection, now: Date) async throws -> [MessageChange]
    /// Makes every deferred message due at once; returns how many.
    func flush(now: Date) async throws -> Int
    /// Returns false when the destination was paused already.
    func pauseRoute(_ domain: String, at now: Date) async throws -> Bool
    /// Returns false when the destination was not paused.
    func resumeRoute(_ domain: String) async throws -> Bool
}
