#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MailAuth
import SpoolContract

/// Reads a received message once, in chunks, and hands its header block (whole, bounded by
/// `HeaderBlock.maxBytes`) and then its body chunks to the checks: no second copy of the body.
enum MessageStream {
    static let chunkSize = 65_536

    struct Unreadable: Error, CustomStringConvertible {
        var description: String
    }

    /// Calls `header` once with the bytes before the empty line (nil when the header block is
    /// larger than the bound), then `body` for each body chunk.
    static func read(_ message: MessageBody, header: (ArraySlice<UInt8>?) -> Void,
                     body: (ArraySlice<UInt8>) -> Void) throws(Unreadable) {
        var splitter = Splitter()
        func deliver(_ pieces: [Piece]) {
            for piece in pieces {
                switch piece {
                case .header(let bytes): header(bytes)
                case .body(let bytes): body(bytes)
                }
            }
        }
        switch message {
        case .bytes(let bytes):
            deliver(splitter.feed(bytes[...]))
        case .file(let path):
            guard let file = fopen(path, "rb") else { throw Unreadable(description: "cannot open \(path)") }
            defer { fclose(file) }
            var chunk = [UInt8](repeating: 0, count: chunkSize)
            while true {
                let count = fread(&chunk, 1, chunk.count, file)
                if count == 0 { break }
                deliver(splitter.feed(chunk[..<count]))
            }
            guard ferror(file) == 0 else { throw Unreadable(description: "read error in \(path)") }
        }
        deliver(splitter.end())
    }

    enum Piece {
        /// The header block; nil when it is larger than the bound.
        case header(ArraySlice<UInt8>?)
        case body(ArraySlice<UInt8>)
    }

    /// Finds the first empty line across chunk boundaries.
    struct Splitter {
        var head: [UInt8] = []
        var inBody = false

        mutating func feed(_ chunk: ArraySlice<UInt8>) -> [Piece] {
            if inBody { return [.body(chunk)] }
            let searchFrom = max(0, head.count - 3)
            head += chunk
            if head.starts(with: [0x0D, 0x0A]) { return enterBody(headerEnd: 0, bodyStart: 2) }
            var index = searchFrom
            while index + 3 < head.count {
                if head[index] == 0x0D, head[index + 1] == 0x0A, head[index + 2] == 0x0D, head[index + 3] == 0x0A {
                    return enterBody(headerEnd: index + 2, bodyStart: index + 4)
                }
                index += 1
            }
            if head.count > HeaderBlock.maxBytes + 4 {
                inBody = true
                head = []
                return [.header(nil)]
            }
            return []
        }

        private mutating func enterBody(headerEnd: Int, bodyStart: Int) -> [Piece] {
            var pieces: [Piece] = [.header(head[..<headerEnd])]
            if bodyStart < head.count { pieces.append(.body(head[bodyStart...])) }
            inBody = true
            head = []
            return pieces
        }

        /// A message without an empty line is all header, with an empty body.
        mutating func end() -> [Piece] {
            guard !inBody else { return [] }
            inBody = true
            return [.header(head.count <= HeaderBlock.maxBytes ? head[...] : nil)]
        }
    }
}
