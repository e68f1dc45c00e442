import Foundation
import Testing

extension HeavyLoadTests {
    /// Hostile clients against the listener: thousands of idle connections, a sender that trickles
    /// one byte at a time, and clients whose command line, header block or message never ends.
    /// None of them may keep a well-behaved sender out, stay past its limit or timeout, or make
    /// backstop's memory grow without bound.
    @Suite("Flooding and slow clients", .timeLimit(.minutes(3)))
    struct FloodingTests {
        /// Long enough that the whole flood is open before its first connections time out, also
        /// on a loaded machine where opening 2,000 connections has taken 20 s.
        static let floodCommandTimeout = 30.0
        static let commandTimeout = 3.0
        /// Flood sources: 40 addresses × 50 connections, 20 of each admitted (max_connections_per_ip).
        static let floodSources = (1...40).map { "127.0.1.\($0)" }
        static let connectionsPerSource = 50
        static let perAddressLimit = 20
        /// A requirement rather than a measurement: idle sessions must cost kilobytes, not megabytes.
        static let peakMemoryBound = 128 << 20

        static func options(commandTimeout: Double) -> BackstopOptions {
            BackstopOptions(server: [
                "max_connections = 1000", "max_connections_per_ip = \(perAddressLimit)",
                "command_timeout = \"\(Int(commandTimeout))s\"",
            ])
        }

        /// What hostile_sender.py saw.
        struct HostileSession: Decodable {
            var replies: [String]
            var sent: Int
            var sentBeforeReply: Int?
            var elapsed: Double
            var closed: Bool
        }

        static func hostile(_ mode: String, port: Int, _ extra: [String] = []) async throws -> HostileSession {
            let output = try await Tools.python("hostile_sender.py", ["--port", String(port), "--mode", mode] + extra)
            return try JSONDecoder.snakeCase.decode(HostileSession.self, from: Data(output))
        }

        /// What connection_flood.py saw.
        struct FloodReport: Decodable {
            var greeted: Int
            var refused: Int
            var failed: Int
            var firstReplies: [String: Int]
            var closingReplies: [String: Int]
            var closedByServer: Int
            var stillOpen: Int
            var firstClose: Double?
            var lastClose: Double?
        }

        /// One message from another address, timed from connect to the 250 after the final dot.
        static func deliver(to port: Int, index: Int) async throws -> Duration {
            let started = ContinuousClock.now
            let connection = try RawSMTPConnection(port: port, from: "127.0.3.1")
            #expect(try await connection.readReply().code == 220)
            #expect(try await connection.command("EHLO well.behaved.test").code == 250)
            #expect(try await connection.command("MAIL FROM:<polite@sender.test>").code == 250)
            #expect(try await connection.command("RCPT TO:<user@example.test>").code == 250)
            #expect(try await connection.command("DATA").code == 354)
            let queued = try await connection.command("Subject: polite \(index)\r\n\r\nDelivered during a flood.\r\n.")
            let took = ContinuousClock.now - started
            #expect(queued.code == 250, "\(queued)")
            _ = try await connection.command("QUIT")
            return took
        }

        @Test("2,000 idle connections and a slowloris: a well-behaved sender delivers while the flood is held; per-IP limits and the command timeout close them; memory stays bounded")
        func floodAndSlowloris() async throws {
            let descriptors = raiseDescriptorLimit(to: 8192)
            // The flood peer holds up to about 1,100 connections at once, backstop about 850.
            #expect(descriptors >= 2048, "RLIMIT_NOFILE allows only \(descriptors) descriptors; the flood needs 2,048")
            try await withBackstop(Self.options(commandTimeout: Self.floodCommandTimeout)) { server in
                let before = try peakResidentBytes(of: server.pid)
                let python = try Tools.require("python3")
                let floodStarted = ContinuousClock.now
                let flood = try ChildProcess(python, [
                    Tools.peersDirectory.appendingPathComponent("connection_flood.py").path, "--port", String(server.port),
                    "--sources", Self.floodSources.joined(separator: ","), "--per-source", String(Self.connectionsPerSource),
                    "--watch", "90",
                ])
                let holding = await flood.output.wait(for: .seconds(60)) { $0.exit != nil || $0.stdoutText.contains("holding ") }
                #expect(holding && flood.isRunning, "the flood did not get its connections: \(flood.output.current.stderrText)")
                let opening = ContinuousClock.now - floodStarted
                async let slowloris = Self.hostile("slowloris", port: server.port,
                                                   ["--source", "127.0.2.1", "--interval", "2", "--give-up", "50"])

                var deliveries: [Duration] = []
                for index in 0..<3 { deliveries.append(try await Self.deliver(to: server.port, index: index)) }
                let deliveredAt = Date().timeIntervalSince1970
                #expect(try await LimitTests.spooledCount(server) == 3)

                let output = try #require(await flood.waitForCompletion(within: .seconds(120)), "the flood peer did not finish")
                // After the "holding" line, the report is the last line.
                let reportLine = output.stdoutText.split(separator: "\n").last.map(String.init) ?? ""
                let report = try JSONDecoder.snakeCase.decode(FloodReport.self, from: Data(reportLine.utf8))
                let slow = try await slowloris
                let peak = try peakResidentBytes(of: server.pid)

                let admitted = Self.floodSources.count * Self.perAddressLimit
                let total = Self.floodSources.count * Self.connectionsPerSource
                #expect(report.failed == 0, "\(report)")
                #expect(report.greeted == admitted, "per-IP limit: \(report)")
                #expect(report.firstReplies["421 4.7.0"] == total - admitted, "the rest refused at once: \(report)")
                #expect(report.closingReplies["421 4.4.2"] == admitted && report.stillOpen == 0,
                        "every idle session is closed by the command timeout: \(report)")
                let firstClose = try #require(report.firstClose)
                #expect(firstClose > deliveredAt, "the flood was still held while the well-behaved sender delivered")
                // None waited for the flood to go away (the check above); the median of three stays
                // far below the command timeout even while the rest of the suite loads both cores.
                // How fast is the benchmark's question: the figures are printed below.
                let median = deliveries.sorted()[1]
                #expect(median < .seconds(5), "deliveries during the flood took \(deliveries.map(\.inSeconds))")

                #expect(slow.closed && slow.replies.last?.hasPrefix("421 4.4.2") == true, "\(slow)")
                #expect(slow.sent >= 4, "the slowloris kept sending until it was cut off: \(slow)")
                #expect(slow.elapsed < Self.floodCommandTimeout + 4,
                        "a byte every 2 s must not stretch the command timeout (\(Self.floodCommandTimeout) s): \(slow)")

                #expect(peak < Self.peakMemoryBound, "peak RSS \(peak >> 20) MiB")
                print("flood: \(total) idle connections from \(Self.floodSources.count) addresses opened in \(opening.inSeconds), " +
                      "\(report.greeted) admitted (\(Self.perAddressLimit) per IP), \(report.refused) refused with 421 4.7.0; " +
                      "all admitted closed by the \(Int(Self.floodCommandTimeout)) s command timeout, the last \(String(format: "%.1f", (report.lastClose ?? 0) - deliveredAt)) s " +
                      "after the deliveries; well-behaved sender: 3 deliveries in \(deliveries.map(\.inSeconds).joined(separator: ", ")); slowloris cut off after " +
                      "\(String(format: "%.1f", slow.elapsed)) s having sent \(slow.sent) bytes; descriptor limit \(descriptors); " +
                      "backstop peak RSS \(peak >> 20) MiB (\(before >> 20) MiB before the flood, bound \(Self.peakMemoryBound >> 20) MiB)")
            }
        }

        @Test("A slowloris in DATA, a byte a second: 421 4.4.2 once the content falls behind min_data_rate")
        func slowlorisInData() async throws {
            let options = BackstopOptions(server: ["data_initiation_timeout = \"3s\"", "data_block_timeout = \"3s\""])
            try await withBackstop(options) { server in
                let session = try await Self.hostile("slowloris-data", port: server.port, ["--interval", "1", "--give-up", "30"])
                #expect(session.closed && session.replies == ["421 4.4.2 Timeout exceeded, closing connection"], "\(session)")
                #expect(session.sent >= 2 && session.elapsed < 3 + 3, "a byte a second must not stretch data_block_timeout: \(session)")
                #expect(try await LimitTests.spooledCount(server) == 0)
                print("slowloris in DATA: \(session.replies) after \(String(format: "%.1f", session.elapsed)) s and \(session.sent) bytes")
            }
        }

        @Test("A command line without end: 500 5.5.2 once it passes 512 bytes, then 421 4.4.2 at the command timeout")
        func endlessCommandLine() async throws {
            try await withBackstop(Self.options(commandTimeout: Self.commandTimeout)) { server in
                let session = try await Self.hostile("endless-line", port: server.port, ["--interval", "0.005", "--give-up", "30"])
                #expect(session.replies.first?.hasPrefix("500 5.5.2") == true, "\(session.replies)")
                #expect(session.replies.count == 2 && session.replies.last?.hasPrefix("421 4.4.2") == true, "\(session.replies)")
                #expect(session.closed && session.elapsed < Self.commandTimeout + 3, "\(session)")
                let peak = try peakResidentBytes(of: server.pid)
                #expect(peak < Self.peakMemoryBound, "peak RSS \(peak >> 20) MiB")
                print("endless command line: \(session.replies); \(session.sent) bytes sent in " +
                      "\(String(format: "%.1f", session.elapsed)) s; backstop peak RSS \(peak >> 20) MiB")
            }
        }

        @Test("A header block or a body line without end: 552 5.3.4 and closed at twice max_message_size, nothing stored",
              arguments: ["endless-header", "endless-body-line"])
        func endlessMessage(mode: String) async throws {
            let limit = 1_000_000
            try await withBackstop(BackstopOptions(server: ["max_message_size = \(limit)"])) { server in
                let session = try await Self.hostile(mode, port: server.port, ["--interval", "0.002", "--give-up", "30"])
                #expect(session.replies.count == 1 && session.replies.first?.hasPrefix("552 5.3.4") == true, "\(session.replies)")
                #expect(session.closed, "\(session)")
                #expect(session.sent > 2 * limit, "cut off only past twice the limit: \(session)")
                #expect(try await LimitTests.spooledCount(server) == 0)
                // The spilled body is removed once its last write is done, just after the close.
                let incoming = server.directory.appendingPathComponent("spool/incoming").path
                let deadline = ContinuousClock.now + .seconds(5)
                var leftovers = try FileManager.default.contentsOfDirectory(atPath: incoming)
                while !leftovers.isEmpty, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(50))
                    leftovers = try FileManager.default.contentsOfDirectory(atPath: incoming)
                }
                #expect(leftovers.isEmpty, "the spilled body of the refused message is removed: \(leftovers)")
                let peak = try peakResidentBytes(of: server.pid)
                #expect(peak < Self.peakMemoryBound, "peak RSS \(peak >> 20) MiB")
                print("\(mode): \(session.replies) after \(session.sent) bytes " +
                      "(max_message_size \(limit)) in \(String(format: "%.1f", session.elapsed)) s; backstop peak RSS \(peak >> 20) MiB")
            }
        }
    }
}

extension JSONDecoder {
    static var snakeCase: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }
}
