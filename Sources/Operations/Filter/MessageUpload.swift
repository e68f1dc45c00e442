import AsyncHTTPClient
import Foundation
import NIOCore
import SpoolContract

/// The message as it will be stored, as an HTTP request body: the trace fields, then the
/// content; a spilled body is read from its file in chunks as the upload proceeds, never
/// held whole in memory.
enum MessageUpload {
    static let chunkSize = 65_536

    static func body(traceFields: [UInt8], content: MessageBody) throws -> HTTPClientRequest.Body {
        switch content {
        case .bytes(let bytes):
            return .bytes(ByteBuffer(bytes: traceFields + bytes))
        case .file(let path):
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
            return .stream(FileChunks(leading: traceFields, path: path), length: .known(Int64(traceFields.count + size)))
        }
    }

    /// `leading`, then the file at `path` in chunks of `chunkSize`.
    struct FileChunks: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        let leading: [UInt8]
        let path: String

        func makeAsyncIterator() -> Iterator { Iterator(leading: leading, path: path) }

        struct Iterator: AsyncIteratorProtocol {
            var leading: [UInt8]?
            let path: String
            var file: FileHandle?
            var finished = false

            init(leading: [UInt8], path: String) {
                self.leading = leading
                self.path = path
            }

            mutating func next() async throws -> ByteBuffer? {
                if let first = leading {
                    leading = nil
                    if !first.isEmpty { return ByteBuffer(bytes: first) }
                }
                if finished { return nil }
                if file == nil { file = try FileHandle(forReadingFrom: URL(fileURLWithPath: path)) }
                guard let data = try file?.read(upToCount: chunkSize), !data.isEmpty else {
                    try? file?.close()
                    finished = true
                    return nil
                }
                return ByteBuffer(bytes: data)
            }
        }
    }
}
