import Foundation

/// Runs the Python peers of the MailAuth tests (dkimpy) and hands back what they print.
enum PythonPeer {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Whether python3 with dkimpy, PyNaCl and authres is here; the tests that need it skip visibly otherwise.
    static let dkimpyAvailable: Bool = (try? run(["-c", "import dkim, nacl, authres"])) != nil

    /// Runs `python3 arguments…`; throws with stderr when it exits non-zero.
    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        // stderr goes to a file, so only one pipe is read and none can fill up unread.
        let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("mailauth-peer-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errorFile) }
        let errors = try FileHandle(forWritingTo: errorFile)
        defer { try? errors.close() }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
            throw Failure(description: "python3 \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(message)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Runs Tests/MailAuthTests/Peers/dkim_peer.py on a thread of its own: waiting for a child
    /// (RSA key generation takes seconds) must not hold one of the cooperative pool's threads,
    /// which every other test running meanwhile needs.
    static func dkim(_ arguments: [String]) async throws -> String {
        let command = [MailAuthTestPaths.peers.appendingPathComponent("dkim_peer.py").path] + arguments
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try run(command) })
            }
        }
    }
}

/// A scratch directory for one test's files, removed when the test ends.
final class ScratchDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("mailauth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let file = url.appendingPathComponent(name)
        try Data(bytes).write(to: file)
        return file.path
    }

    func write(_ name: String, _ text: String) throws -> String { try write(name, Array(text.utf8)) }

    /// A zone file for the peer: names to TXT record text.
    func writeZone(_ records: [String: String]) throws -> String {
        try write("zone.json", Array(try JSONSerialization.data(withJSONObject: records)))
    }
}
