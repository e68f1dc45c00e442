import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One SMTP reply as it came over the wire.
struct Reply: Equatable, CustomStringConvertible {
    var code: Int
    /// The text of each line, after the code and its separator.
    var lines: [String]

    var text: String { lines.joined(separator: "\n") }
    /// The enhanced status code of the last line, e.g. "5.7.1", if it starts with one.
    var enhancedCode: String? {
        guard let first = lines.last?.split(separator: " ").first,
              first.split(separator: ".").count == 3, first.allSatisfy({ $0.isNumber || $0 == "." })
        else { return nil }
        return String(first)
    }
    var description: String { "\(code) \(text)" }

    func isExactly(_ code: Int, _ enhanced: String) -> Bool { self.code == code && enhancedCode == enhanced }
}

/// A plain TCP client that writes exactly the bytes a test gives it, for what smtplib will
/// not send (bare CR/LF, pipelined junk, BDAT). Reads block with a deadline (SO_RCVTIMEO), on
/// a queue of the connection's own, so a slow server never holds up Swift's cooperative pool
/// (and with it every other test).
final class RawSMTPConnection: @unchecked Sendable {
    // Only touched on `queue`, one operation at a time.
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private let queue = DispatchQueue(label: "backstop.e2e.raw-smtp")

    private func onQueue<T: Sendable>(_ operation: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try operation() }) }
        }
    }

    func send(_ bytes: [UInt8]) async throws { try await onQueue { try self.sendNow(bytes) } }
    func send(_ text: String) async throws { try await send(Array(text.utf8)) }

    /// Sends one command line (CRLF added) and reads its reply.
    func command(_ line: String) async throws -> Reply {
        try await onQueue {
            try self.sendNow(Array((line + "\r\n").utf8))
            return try self.readReplyNow()
        }
    }

    /// Reads one complete reply, single- or multi-line.
    func readReply() async throws -> Reply { try await onQueue { try self.readReplyNow() } }

    /// Reads until the server closes the connection and returns what came before.
    /// A reset counts as closed too (a server that closes with unread input sends RST).
    func readUntilClosed() async throws -> [UInt8] { try await onQueue { try self.readUntilClosedNow() } }

    /// True if the server has closed the connection (reads EOF or a reset, with nothing before).
    func isClosedByPeer() async throws -> Bool {
        try await onQueue { self.buffer.isEmpty ? try self.readUntilClosedNow().isEmpty : false }
    }

    /// Connects to 127.0.0.1:`port`, from `source` (another loopback address) when given.
    init(port: Int, from source: String? = nil, timeout: Duration = .seconds(10)) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw SocketError.system("socket", errno) }
        do {
            var limit = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
            if let source {
                var local = sockaddr_in.loopback(port: 0, host: source)
                let bound = withUnsafePointer(to: &local) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
                guard bound == 0 else { throw SocketError.system("bind \(source)", errno) }
            }
            var remote = sockaddr_in.loopback(port: port)
            let connected = withUnsafePointer(to: &remote) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard connected == 0 else { throw SocketError.system("connect to port \(port)", errno) }
        } catch {
            Glibc.close(descriptor)
            throw error
        }
    }

    deinit { Glibc.close(descriptor) }

    private func sendNow(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count < 0 {
                if errno == EINTR { continue }
                throw SocketError.system("send", errno)
            }
            offset += count
        }
    }

    private func readReplyNow() throws -> Reply {
        var lines: [String] = []
        var code = 0
        while true {
            let line = try readLine()
            guard line.count >= 3, let lineCode = Int(line.prefix(3)) else {
                throw SocketError.closedByPeer(received: "malformed reply line \(line.debugDescription)")
            }
            code = lineCode
            let separator = line.dropFirst(3).first
            lines.append(String(line.dropFirst(4)))
            if separator != "-" { return Reply(code: code, lines: lines) }
        }
    }

    private func readUntilClosedNow() throws -> [UInt8] {
        var received = buffer
        buffer = []
        while true {
            switch try receive() {
            case .bytes(let bytes): received += bytes
            case .closed: return received
            }
        }
    }

    private enum Received { case bytes([UInt8]), closed }

    private func receive() throws -> Received {
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 { return .bytes(Array(chunk[0..<count])) }
            if count == 0 { return .closed }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: throw SocketError.timedOut("waiting for the server")
            case ECONNRESET: return .closed
            default: throw SocketError.system("recv", errno)
            }
        }
    }

    private func readLine() throws -> String {
        while true {
            if let end = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(buffer[..<end])
                buffer.removeSubrange(...end)
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            switch try receive() {
            case .bytes(let bytes): buffer += bytes
            case .closed: throw SocketError.closedByPeer(received: String(decoding: buffer, as: UTF8.self))
            }
        }
    }
}
