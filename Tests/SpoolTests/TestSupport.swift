import Foundation
import GRDB
import Logging
import Synchronization
import Testing
@testable import Spool
import SpoolContract

let quietLogger = Logger(label: "backstop.spool.tests") { _ in SwiftLogNoOpLogHandler() }

/// A directory of its own for each test, removed afterwards.
func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("backstop-spool-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try await body(directory)
}

/// Opens a fresh spool in its own directory and closes it after the test.
func withSpool(
    options: SpoolOptions = SpoolOptions(),
    _ body: (Spool, URL) async throws -> Void
) async throws {
    try await withTemporaryDirectory { directory async throws in
        let spool = try Spool(path: directory.appendingPathComponent("spool.sqlite").path, logger: quietLogger, options: options)
        do {
            try await body(spool, directory)
            try spool.close()
        } catch {
            try? spool.close()
            throw error
        }
    }
}

/// A fixed instant with whole milliseconds, which the spool keeps exactly.
let receivedAt = Date(timeIntervalSince1970: 1_750_000_000.125)

let receivedHeader = Array("""
    Received: from mx.sender.example (mx.sender.example [192.0.2.7])\r
    \tby backup.example.net (Backstop) with ESMTPS id 0123456789AB;\r
    \tSun, 15 Jun 2025 15:06:40 +0000\r

    """.utf8)

func makeMessage(
    queueID: QueueID = .generate(),
    sender: String = "bounce@sender.example",
    recipients: [EnvelopeRecipient] = [EnvelopeRecipient(address: "alice@example.net")],
    body: MessageBody = .bytes(Array("Subject: hello\r\n\r\nHi Alice.\r\n".utf8))
) -> IncomingMessage {
    IncomingMessage(
        envelope: Envelope(
            queueID: queueID, sender: sender, recipients: recipients,
            clientAddress: "192.0.2.7", clientHelo: "mx.sender.example", receivedAt: receivedAt),
        receivedHeader: receivedHeader,
        body: body)
}

/// Bytes that differ from chunk to chunk, so misplaced chunks show.
func patternedBytes(count: Int) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 11) }
}

func writeBodyFile(_ bytes: [UInt8], in directory: URL) throws -> String {
    let path = directory.appendingPathComponent("body-\(UUID().uuidString).eml").path
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

/// Waits without sleeping for a condition another thread will make true.
func waitUntil(_ condition: () -> Bool, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let deadline = ContinuousClock.now + .seconds(30)
    while !condition() {
        try #require(ContinuousClock.now < deadline, "condition not met within 30 s", sourceLocation: sourceLocation)
        await Task.yield()
    }
}

extension SpoolError {
    /// The case without its detail text, for comparisons.
    var kind: String {
        switch self {
        case .diskFull: "diskFull"
        case .busy: "busy"
        case .io: "io"
        case .newerSchema: "newerSchema"
        case .notFound: "notFound"
        case .corrupt: "corrupt"
        case .other: "other"
        }
    }
}

extension Result where Failure == SpoolError {
    var failureKind: String? {
        if case .failure(let error) = self { error.kind } else { nil }
    }
}
