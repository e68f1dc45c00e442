import Foundation

/// What operators and the status page read of the queue.
public protocol QueueViews: Sendable {
    func messages(matching filter: QueueFilter, now: Date) async throws -> [QueuedMessage]
    func details(of queueID: QueueID, now: Date) async throws -> MessageDetails?
    func queueShape(now: Date) async throws -> QueueShape
    func envelope(of queueID: QueueID) async throws -> StoredEnvelope?
    /// The whole stored message; nil when it is not spooled.
    func messageData(of queueID: QueueID) async throws -> [UInt8]?
    /// Streams the stored message to `sink`; false when it is not spooled.
    func writeMessageData(of queueID: QueueID, to sink: @Sendable ([UInt8]) throws -> Void) async throws -> Bool
    /// Every spooled message, oldest arrival first.
    func queuedMessageIDs() async throws -> [QueueID]
    func counts() async throws -> QueueCounts
    func status(now: Date) async throws -> SpoolStatus
    /// The attempts recorded for a message, oldest first.
    func deliveryLog(of queueID: QueueID) async throws -> [DeliveryLogEntry]
    func pausedRoutes() async throws -> [RoutePause]
}
