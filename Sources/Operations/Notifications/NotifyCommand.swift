import Dispatch
import Foundation
import BackstopSync
#if canImport(Glibc)
import Glibc
#endif

/// Runs `[notify] command` with `/bin/sh -c`, the event on standard input. Exit code 0 is
/// success; anything else, or running past `timeout`, is a failure whose message quotes the
/// command's standard error.
///
/// Spawned by hand rather than with Foundation's `Process`, which on Linux does not notice the
/// shell's exit while a child of it still holds an inherited descriptor. The command runs in a
/// process group of its own, so a timeout ends the shell and whatever it started.
struct NotifyCommand: Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let timeout: Duration

    /// A command that exits without reading its input must not take Backstop down with SIGPIPE.
    private static let ignoreBrokenPipes: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    func run(_ command: String, input: [UInt8]) async throws {
        Self.ignoreBrokenPipes
        let child = try Self.spawn(["/bin/sh", "-c", command])
        let errorText = Locked("")
        let reading = DispatchGroup()
        reading.enter()
        DispatchQueue.global().async {
            let said = Self.readAll(child.stderr, limit: 500)
            errorText.withLock { $0 = String(decoding: said, as: UTF8.self) }
            reading.leave()
        }
        DispatchQueue.global().async {
            Self.writeAll(input, to: child.stdin)
            close(child.stdin)
        }
        let timedOut = Locked(false)
        let timer = Task {
            try await Task.sleep(for: timeout)
            timedOut.withLock { $0 = true }
            kill(-child.pid, SIGTERM)
            try await Task.sleep(for: .seconds(5))
            kill(-child.pid, SIGKILL)
        }
        let status = await Self.waitForExit(child.pid)
        timer.cancel()
        if timedOut.withLock({ $0 }) {
            throw Failure(description: "still running after \(timeout); stopped it")
        }
        // Standard error ends with the command, but a grandchild may keep it open: wait for its
        // end a few seconds at most (long enough for a loaded machine), then take what was said.
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                _ = reading.wait(timeout: .now() + 5)
                continuation.resume()
            }
        }
        let said = errorText.withLock { $0 }.trimmingCharacters(in: .whitespacesAndNewlines)
        let exited = status & 0x7f == 0
        let code = (status >> 8) & 0xff
        guard !exited || code != 0 else { return }
        let how = exited ? "exit code \(code)" : "signal \(status & 0x7f)"
        throw Failure(description: "ended with \(how)" + (said.isEmpty ? "" : ": \(said)"))
    }

    private struct Child {
        var pid: pid_t
        var stdin: Int32
        var stderr: Int32
    }

    private static func spawn(_ arguments: [String]) throws -> Child {
        var input: [Int32] = [0, 0], errors: [Int32] = [0, 0]
        guard pipe(&input) == 0 else { throw Failure(description: "pipe: \(String(cString: strerror(errno)))") }
        guard pipe(&errors) == 0 else {
            close(input[0]); close(input[1])
            throw Failure(description: "pipe: \(String(cString: strerror(errno)))")
        }
        // Our ends never reach this or any other child.
        for descriptor in [input[1], errors[0]] { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input[0], 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, errors[1], 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, environ)
        close(input[0])
        close(errors[1])
        guard result == 0 else {
            close(input[1]); close(errors[0])
            throw Failure(description: "cannot start \(arguments[0]): \(String(cString: strerror(result)))")
        }
        return Child(pid: pid, stdin: input[1], stderr: errors[0])
    }

    /// Blocks a thread of its own (not the cooperative pool) until the child is reaped.
    private static func waitForExit(_ pid: pid_t) async -> Int32 {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0, errno == EINTR {}
                continuation.resume(returning: status)
            }
        }
    }

    private static func readAll(_ descriptor: Int32, limit: Int) -> [UInt8] {
        var kept: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count > 0 { kept += buffer.prefix(min(count, max(0, limit - kept.count))); continue }
            if count < 0, errno == EINTR { continue }
            break
        }
        close(descriptor)
        return kept
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32) {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if count > 0 { offset += count; continue }
            if count < 0, errno == EINTR { continue }
            return
        }
    }
}
