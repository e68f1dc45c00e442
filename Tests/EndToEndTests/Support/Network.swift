import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A TCP port on 127.0.0.1 that was free a moment ago, below Linux's ephemeral range
/// (32768–60999): a port from there is what the kernel gives the tests' own clients as their
/// source port, and one such connection keeps a server from binding it. Another process may
/// still take the port before the server binds it, so the fixtures retry. Within this process a
/// port is handed out once: two tests running at once that drew the same free port would both
/// be told it was free, and the second server to start could not bind it.
func freeLoopbackPort() throws -> Int {
    for _ in 0..<64 {
        let port = Int.random(in: 20_000..<32_768)
        guard handedOutPorts.withLock({ $0.insert(port).inserted }) else { continue }
        if try canBind(port) { return port }
    }
    return try boundPort(0)
}

private let handedOutPorts = Mutex<Set<Int>>([])

private func canBind(_ port: Int) throws -> Bool {
    do {
        _ = try boundPort(port)
        return true
    } catch SocketError.system("bind", EADDRINUSE) {
        return false
    }
}

/// Binds a socket to `port` (0: any) on 127.0.0.1, closes it and returns the port it got.
private func boundPort(_ port: Int) throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw SocketError.system("socket", errno) }
    defer { close(descriptor) }
    var address = sockaddr_in.loopback(port: port)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
    }
    guard bound == 0 else { throw SocketError.system("bind", errno) }
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
    }
    guard named == 0 else { throw SocketError.system("getsockname", errno) }
    return Int(UInt16(bigEndian: address.sin_port))
}

enum SocketError: Error, CustomStringConvertible, Equatable {
    case system(String, Int32)
    case timedOut(String)
    case closedByPeer(received: String)

    var description: String {
        switch self {
        case let .system(call, code): "\(call): \(String(cString: strerror(code)))"
        case .timedOut(let what): "timed out \(what)"
        case .closedByPeer(let received): "the server closed the connection (after: \(received.debugDescription))"
        }
    }
}

extension sockaddr_in {
    static func loopback(port: Int, host: String = "127.0.0.1") -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        inet_pton(AF_INET, host, &address.sin_addr)
        return address
    }
}
