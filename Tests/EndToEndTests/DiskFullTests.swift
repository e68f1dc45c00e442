import Foundation
import Spool
import SpoolContract
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension HeavyLoadTests {
    /// The spool's file system fills up under a running backstop: new mail gets `452 4.3.1`, no
    /// `250` is given for anything not stored, the database stays sound, and acceptance resumes
    /// by itself once there is room again.
    @Suite("Disk full", .serialized, .timeLimit(.minutes(2)))
    struct DiskFullTests {
        static let tmpfsSize = 8 << 20
        static let fillerSize = 2 << 20

        /// Distinct content of `size` bytes; sizes above memory_body_limit (256 KiB) are spilled
        /// to spool/incoming on the way, so both the database and the spill file can meet ENOSPC.
        static func message(_ index: Int, size: Int) -> [UInt8] {
            var text = "Subject: filling the spool \(index)\r\nMessage-ID: <fill.\(index)@sender.test>\r\n\r\n"
            var line = 0
            while text.utf8.count < size {
                text += "message \(index) line \(line) \(String(repeating: "0123456789", count: 6))\r\n"
                line += 1
            }
            return Array(text.utf8)
        }

        /// Sends one message in an open session; returns the reply after the final dot.
        static func send(_ content: [UInt8], on connection: RawSMTPConnection) async throws -> Reply {
            let mail = try await connection.command("MAIL FROM:<filler@sender.test>")
            guard mail.code == 250 else { return mail }
            let rcpt = try await connection.command("RCPT TO:<user@example.test>")
            guard rcpt.code == 250 else { return rcpt }
            let data = try await connection.command("DATA")
            guard data.code == 354 else { return data }
            try await connection.send(content)
            return try await connection.command(".")
        }

        /// Whether this process may mount a tmpfs: root, and allowed to (a container without
        /// CAP_SYS_ADMIN is not). Tried once, on a scratch directory, before the test runs.
        static let canMountTmpfs: Bool = {
            let probe = FileManager.default.temporaryDirectory.appendingPathComponent("backstop-tmpfs-probe-\(getpid())")
            defer { try? FileManager.default.removeItem(at: probe) }
            guard (try? mountTmpfs(at: probe, size: 1 << 20)) != nil else { return false }
            unmount(probe)
            return true
        }()

        @Test("A full spool file system: 452 4.3.1, nothing acknowledged that is not stored, integrity_check ok, and 250 again once space is freed",
              .enabled(if: canMountTmpfs,
                       "cannot mount a tmpfs for the spool: run the tests as root, with CAP_SYS_ADMIN (a container needs --privileged or --cap-add SYS_ADMIN)"))
        func spoolFileSystemFills() async throws {
            try await withTestDirectory { directory in
                let spoolDirectory = directory.appendingPathComponent("spool")
                try mountTmpfs(at: spoolDirectory, size: Self.tmpfsSize)
                do {
                    try await fillAndRecover(in: directory, spoolDirectory: spoolDirectory)
                } catch {
                    unmount(spoolDirectory)
                    throw error
                }
                unmount(spoolDirectory)
            }
        }

        /// One sender's share of the filling: what was acknowledged, and the refusals.
        struct Filling: Sendable {
            var acknowledged: [(id: String, content: [UInt8])] = []
            var refusals: [Reply] = []
        }

        /// Sends until the spool has refused two messages of this session (or 100 were sent),
        /// alternating messages kept in memory with ones spilled to a file on the way.
        static func fill(session: Int, port: Int) async throws -> Filling {
            let connection = try RawSMTPConnection(port: port)
            #expect(try await connection.readReply().code == 220)
            #expect(try await connection.command("EHLO filler\(session).sender.test").code == 250)
            var filling = Filling()
            for index in 0..<100 where filling.refusals.count < 2 {
                let content = message(session * 1_000 + index, size: index % 2 == 0 ? 100_000 : 400_000)
                let reply = try await send(content, on: connection)
                if reply.code == 250, let id = reply.text.components(separatedBy: "queued as ").last {
                    filling.acknowledged.append((id, content))
                } else {
                    filling.refusals.append(reply)
                }
            }
            #expect(try await connection.command("NOOP").code == 250, "the session outlives the refusals")
            _ = try await connection.command("QUIT")
            return filling
        }

        private func fillAndRecover(in directory: URL, spoolDirectory: URL) async throws {
            let filler = spoolDirectory.appendingPathComponent("filler")
            try Data(count: Self.fillerSize).write(to: filler)
            try await withBackstop(in: directory) { server in
                // Three senders at once, so that the disk fills in the middle of shared commits.
                let fillings = try await withThrowingTaskGroup(of: Filling.self) { group in
                    for session in 0..<3 { group.addTask { try await Self.fill(session: session, port: server.port) } }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                let acknowledged = fillings.flatMap(\.acknowledged)
                let refusals = fillings.flatMap(\.refusals)
                #expect(refusals.count == 6, "the spool never filled: \(acknowledged.count) messages acknowledged")
                for refusal in refusals {
                    #expect(refusal.isExactly(452, "4.3.1"), "\(refusal)")
                }
                // Both ways of running out: the database, and the temporary file of a large message.
                #expect(server.log.contains("database or disk is full"), "no SQLITE_FULL in the log:\n\(server.log)")
                #expect(server.log.contains("No space left on device"), "no ENOSPC in the log:\n\(server.log)")

                try await withSpool(at: server.spoolPath) { spool async throws in
                    #expect(Set(try await spool.queuedMessageIDs().map(\.rawValue)) == Set(acknowledged.map(\.id)),
                            "exactly the acknowledged messages are spooled")
                    for (id, content) in acknowledged {
                        #expect(try await spool.storedMessage(id)?.data == content, "\(id) is missing or damaged")
                    }
                    #expect(try await spool.integrityProblems() == [], "PRAGMA integrity_check / foreign_key_check")
                }

                // Room again: the very next message is taken, with no restart.
                try FileManager.default.removeItem(at: filler)
                let connection = try RawSMTPConnection(port: server.port)
                #expect(try await connection.readReply().code == 220)
                #expect(try await connection.command("EHLO later.sender.test").code == 250)
                let later = Self.message(9_999, size: 400_000)
                let resumed = try await Self.send(later, on: connection)
                #expect(resumed.code == 250, "after space was freed: \(resumed)")
                #expect(try await connection.command("QUIT").code == 221)
                let resumedID = resumed.text.components(separatedBy: "queued as ").last ?? ""
                try await withSpool(at: server.spoolPath) { spool async throws in
                    #expect(try await spool.storedMessage(resumedID)?.data == later)
                    #expect(try await spool.queuedMessageIDs().count == acknowledged.count + 1)
                    #expect(try await spool.integrityProblems() == [])
                }
                print("disk full: \(Self.tmpfsSize >> 20) MiB tmpfs with a \(Self.fillerSize >> 20) MiB filler, 3 senders at once; " +
                      "\(acknowledged.count) messages acknowledged and stored intact, \(refusals.count) refused with " +
                      "\(Set(refusals.map(\.description)).sorted()); after removing the filler the next message got \(resumed)")
            }
        }
    }
}

/// Mounts a tmpfs of `size` bytes at `directory` (created if missing), with mount(2) itself.
private func mountTmpfs(at directory: URL, size: Int) throws {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    guard mount("tmpfs", directory.path, "tmpfs", 0, "size=\(size),mode=0700") == 0 else {
        throw SocketError.system("mount a tmpfs at \(directory.path)", errno)
    }
}

/// Unmounts; lazily if something still holds the file system.
private func unmount(_ directory: URL) {
    if umount2(directory.path, 0) != 0 {
        _ = umount2(directory.path, Int32(MNT_DETACH))
    }
}
