import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension HeavyLoadTests {
    /// Clients that make backstop hold something for them: replies they never read, message
    /// chunks they abandon. Whatever they do, backstop's memory, files and descriptors stay flat.
    /// 200 MiB of chunks take minutes through a debug build on a busy machine, hence the limit.
    @Suite("Resources held for clients", .timeLimit(.minutes(10)))
    struct ClientResourceTests {
        static let commandTimeout = 5
        static let readers = 20
        static let load: Duration = .seconds(30)
        /// A requirement: 20 sessions whose clients do not read cost kilobytes each, not megabytes.
        static let growthBound = 16 << 20

        /// One client that pipelines commands with cheap but long replies and never reads them.
        /// Its sends do not block: when the server stops taking bytes, it waits a little and
        /// tries again, and when the server closes the session it counts that and reconnects.
        final class NonReader: @unchecked Sendable {
            // Only touched by the task that runs `flood`.
            private(set) var sent = 0
            private(set) var closedByServer = 0
            private var descriptor: Int32 = -1
            let port: Int

            init(port: Int) { self.port = port }

            static let commands = Array(String(repeating: "EHLO flood.test\r\nHELP\r\nNOOP\r\nRSET\r\n", count: 512).utf8)

            deinit { if descriptor >= 0 { Glibc.close(descriptor) } }

            func flood(until end: ContinuousClock.Instant, stop: @Sendable () -> Bool) async throws {
                while ContinuousClock.now < end, !stop() {
                    if descriptor < 0 { descriptor = try Self.connect(port: port) }
                    let count = Self.commands.withUnsafeBytes {
                        Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL))
                    }
                    if count > 0 {
                        sent += count
                        continue
                    }
                    let error = errno
                    if count < 0, error == EAGAIN || error == EWOULDBLOCK || error == EINTR {
                        // The load's own pace: the server is not taking more.
                        try await Task.sleep(for: .milliseconds(50))
                        continue
                    }
                    closedByServer += 1
                    Glibc.close(descriptor)
                    descriptor = -1
                }
            }

            /// Without sending more, waits until the server has closed the session (a send then
            /// fails with a reset), up to `limit`. Returns how long that took, or nil.
            func waitUntilClosedByServer(within limit: Duration) async throws -> Duration? {
                let started = ContinuousClock.now
                while descriptor >= 0 {
                    guard ContinuousClock.now - started < limit else { return nil }
                    var probe = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&probe, 1, 0)
                    if probe.revents & Int16(POLLERR | POLLHUP) != 0 {
                        closedByServer += 1
                        Glibc.close(descriptor)
                        descriptor = -1
                        break
                    }
                    try await Task.sleep(for: .milliseconds(50))
                }
                return ContinuousClock.now - started
            }

            static func connect(port: Int) throws -> Int32 {
                let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
                guard descriptor >= 0 else { throw SocketError.system("socket", errno) }
                var remote = sockaddr_in.loopback(port: port)
                let connected = withUnsafePointer(to: &remote) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
                guard connected == 0 else {
                    Glibc.close(descriptor)
                    throw SocketError.system("connect to port \(port)", errno)
                }
                return descriptor
            }
        }

        @Test("20 clients pipeline EHLO, HELP, NOOP and RSET for 30 s and never read: memory stays within a few MB of idle; once stuck, the command timeout closes each one")
        func clientsThatNeverRead() async throws {
            let options = BackstopOptions(server: ["command_timeout = \"\(Self.commandTimeout)s\""])
            try await withBackstop(options) { server in
                let idle = try residentBytes(of: server.pid)
                let bound = idle + Self.growthBound
                let pid = server.pid
                // Stops the load as soon as the bound is passed, so a regression fails fast instead
                // of taking the machine's memory.
                let overBound: @Sendable () -> Bool = { ((try? residentBytes(of: pid)) ?? 0) > bound }
                let end = ContinuousClock.now + Self.load
                let clients = (0..<Self.readers).map { _ in NonReader(port: server.port) }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for client in clients { group.addTask { try await client.flood(until: end, stop: overBound) } }
                    try await group.waitForAll()
                }
                let peak = try peakResidentBytes(of: server.pid)
                let sent = clients.map(\.sent).reduce(0, +)
                let closedDuringLoad = clients.map(\.closedByServer).reduce(0, +)
                // The clients stop sending and still do not read. How long a session makes progress
                // depends on the kernel's socket buffers (autotuned to megabytes); once it makes
                // none, the command timeout must end it, though its reply can never be delivered.
                let closings = try await withThrowingTaskGroup(of: Duration?.self) { group in
                    for client in clients { group.addTask { try await client.waitUntilClosedByServer(within: .seconds(60)) } }
                    return try await group.reduce(into: [Duration?]()) { $0.append($1) }
                }
                let slowest = closings.compactMap { $0 }.max() ?? .zero
                print("\(Self.readers) clients that never read, \(Self.load): sent \(sent >> 10) KiB of commands; " +
                      "sessions closed by the server during the load \(closedDuringLoad), after it all \(Self.readers) within " +
                      "\(slowest.inSeconds); backstop RSS idle \(idle >> 10) KiB, peak \(peak >> 10) KiB, growth " +
                      "\((peak - idle) >> 10) KiB (bound \(Self.growthBound >> 20) MiB)")
                #expect(peak - idle < Self.growthBound, "peak RSS \(peak >> 20) MiB, idle \(idle >> 20) MiB")
                #expect(closings.allSatisfy { $0 != nil },
                        "the \(Self.commandTimeout) s command timeout closes every session whose client is stuck: \(closings)")
                #expect(sent > 0)
                // Still serving: a well-behaved client gets its greeting and replies.
                let connection = try RawSMTPConnection(port: server.port)
                #expect(try await connection.readReply().code == 220)
                #expect(try await connection.command("EHLO after.test").code == 250)
            }
        }

        @Test("200 rounds of BDAT 1 MiB and RSET leave no file in spool/incoming and no descriptor open")
        func abandonedChunks() async throws {
            let options = BackstopOptions(server: ["memory_body_limit = 65536"])
            try await withBackstop(options) { server in
                let incoming = server.directory.appendingPathComponent("spool/incoming").path
                let connection = try RawSMTPConnection(port: server.port)
                #expect(try await connection.readReply().code == 220)
                #expect(try await connection.command("EHLO chunks.test").code == 250)
                // Counted after the first rounds: a server opens a few descriptors once, lazily (a thread
                // pool, a database reader). A leak adds one for every later round.
                var before = 0
                let line = Array((String(repeating: "x", count: 510) + "\r\n").utf8)
                let chunk = Array((Array("Subject: abandoned\r\n\r\n".utf8) + repeatElement(line, count: 2048).joined()).prefix(1 << 20))
                for round in 0..<200 {
                    if round == 10 { before = try openDescriptors(of: server.pid) }
                    #expect(try await connection.command("MAIL FROM:<alice@sender.test>").code == 250)
                    #expect(try await connection.command("RCPT TO:<bob@example.test>").code == 250)
                    try await connection.send(Array("BDAT \(chunk.count)\r\n".utf8) + chunk)
                    let reply = try await connection.readReply()
                    #expect(reply.code == 250, "round \(round): \(reply)")
                    #expect(try await connection.command("RSET").code == 250)
                }
                let deadline = ContinuousClock.now + .seconds(30)
                var leftovers = try temporaryFiles(in: incoming)
                var descriptors = try openDescriptors(of: server.pid)
                while !leftovers.isEmpty || descriptors > before {
                    try #require(ContinuousClock.now < deadline,
                                 "after 30 s: \(leftovers.count) files in incoming, \(descriptors - before) more descriptors than before")
                    try await Task.sleep(for: .milliseconds(20))
                    leftovers = try temporaryFiles(in: incoming)
                    descriptors = try openDescriptors(of: server.pid)
                }
                print("200 × (BDAT 1 MiB, RSET): \(leftovers.count) files left in incoming, descriptors \(before) before, \(descriptors) after")
                #expect(try await connection.command("QUIT").code == 221)
            }
        }

        @Test("The admin listener serves 64 connections at once and closes more at once, unanswered; then serves again")
        func adminConnectionCap() async throws {
            let adminPort = try freeLoopbackPort()
            var options = BackstopOptions()
            options.addAdmin(port: adminPort)
            try await withBackstop(options) { server in
                // Idle connections, as a flood would open them; each is served (waits for its request).
                var held = try (0..<64).map { _ in try RawSMTPConnection(port: adminPort) }
                let extra = try RawSMTPConnection(port: adminPort)
                #expect(try await extra.isClosedByPeer(), "the 65th connection is closed at once")
                held.removeAll()
                // Until the server has seen the closes, a request may still find every place taken.
                var status: Int?
                let deadline = ContinuousClock.now + .seconds(15)
                while status != 200, ContinuousClock.now < deadline {
                    status = (try? await adminGet(adminPort, "/healthz"))?.status
                }
                #expect(status == 200, "served again once the idle connections are gone")
                #expect(server.process.isRunning, "backstop is still up: \(server.log)")
            }
        }

        func temporaryFiles(in directory: String) throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: directory)
        }
    }
}
