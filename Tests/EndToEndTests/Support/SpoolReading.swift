import Foundation
import Logging
import Spool
import SpoolContract

private let quiet = Logger(label: "backstop.e2e") { _ in SwiftLogNoOpLogHandler() }

/// Opens the spool read-only, as an operator would, for the duration of `body`.
func withSpool<T>(at path: String, _ body: (Spool) async throws -> T) async throws -> T {
    let spool = try Spool.openExisting(path: path, readOnly: true, logger: quiet)
    do {
        let result = try await body(spool)
        try spool.close()
        return result
    } catch {
        try? spool.close()
        throw error
    }
}

/// A stored message cut into the one header Backstop prepends and what the client sent.
struct StoredMessage {
    var receivedHeader: String
    var data: [UInt8]

    /// Splits after the first header field (its first line and the folded lines after it).
    init?(_ bytes: [UInt8]) {
        let prefix = Array("Received: ".utf8)
        guard bytes.starts(with: prefix) else { return nil }
        var index = 0
        while true {
            guard let lf = bytes[index...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
            index = lf + 1
            guard index < bytes.count, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") else { break }
        }
        receivedHeader = String(decoding: bytes[..<index], as: UTF8.self)
        data = Array(bytes[index...])
    }
}

extension Spool {
    /// The stored bytes of the message with this queue ID, trace fields included.
    func messageData(ofText id: String) async throws -> [UInt8]? {
        guard let queueID = QueueID(rawValue: id) else { return nil }
        return try await messageData(of: queueID)
    }

    func storedMessage(_ id: String) async throws -> StoredMessage? {
        guard let queueID = QueueID(rawValue: id), let bytes = try await messageData(of: queueID) else { return nil }
        return StoredMessage(bytes)
    }
}
