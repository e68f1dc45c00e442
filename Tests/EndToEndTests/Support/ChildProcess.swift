import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// How a child process ended.
enum ExitStatus: Equatable, Sendable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    var description: String {
        switch self {
        case .exited(let code): "exit code \(code)"
        case .signaled(let signal): "killed by signal \(signal)"
        }
    }
}

struct SpawnError: Error, CustomStringConvertible {
    let description: String
}

/// A process started with `posix_spawn`: its stdout and stderr are collected by threads of
/// their own, and a third thread reaps it, so the exit and every byte of output are events
/// that tests await with a deadline. Signals go by PID and never reach a reaped (reusable) PID.
final class ChildProcess: Sendable {
    struct Output: Sendable {
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        var stdoutClosed = false
        var stderrClosed = false
        var exit: ExitStatus?

        var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
        var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    }

    let pid: pid_t
    let commandLine: String
    let output: Watched<Output>
    /// Guards `kill` against racing the reaper: while the child is not reaped its PID stays its own.
    private let reaped = ReapedFlag()

    /// Starts `executable` (looked up in PATH when it has no slash) in `directory`.
    init(_ executable: String, _ arguments: [String], in directory: String? = nil, stdin: [UInt8] = []) throws {
        commandLine = ([executable] + arguments).joined(separator: " ")
        output = Watched(Output())
        let stdinPipe = try Self.makePipe()
        let stdoutPipe = try Self.makePipe()
        let stderrPipe = try Self.makePipe()

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 clears close-on-exec on the copies; every other descriptor of ours stays closed
        // in the child, so no other child holds our pipes open.
        posix_spawn_file_actions_adddup2(&actions, stdinPipe.read, 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutPipe.write, 1)
        posix_spawn_file_actions_adddup2(&actions, stderrPipe.write, 2)
        // Nothing else: descriptors opened without close-on-exec elsewhere in this process (other
        // tests' sockets, epoll instances and pipes) would stay open as long as the child runs,
        // and a peer that runs for seconds would hold other tests' connections open with them.
        _ = LinuxExtensions.addCloseFrom(&actions, 3)
        if let directory { _ = LinuxExtensions.addChdir(&actions, directory) }

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
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = argv.withUnsafeBufferPointer { argvBuffer in
            posix_spawnp(&pid, executable, &actions, &attributes, argvBuffer.baseAddress!, environ)
        }
        for descriptor in [stdinPipe.read, stdoutPipe.write, stderrPipe.write] { close(descriptor) }
        guard result == 0 else {
            for descriptor in [stdinPipe.write, stdoutPipe.read, stderrPipe.read] { close(descriptor) }
            throw SpawnError(description: "cannot start \(executable): \(String(cString: strerror(result)))")
        }
        self.pid = pid
        startThreads(stdin: stdin, stdinFD: stdinPipe.write, stdoutFD: stdoutPipe.read, stderrFD: stderrPipe.read)
    }

    deinit {
        // Last resort: a test that lost track of its child must not leave it running.
        signal(SIGKILL)
    }

    var isRunning: Bool { output.current.exit == nil }

    /// Sends `signal` unless the process has already been reaped.
    func signal(_ signal: Int32) {
        reaped.flag.withLock { reaped in
            if !reaped { _ = Glibc.kill(pid, signal) }
        }
    }

    /// The exit status once the process has ended, or nil if it is still running after `timeout`.
    func waitForExit(within timeout: Duration) async -> ExitStatus? {
        _ = await output.wait(for: timeout) { $0.exit != nil }
        return output.current.exit
    }

    /// Waits for the process and for the end of its output (so nothing it wrote is missed).
    func waitForCompletion(within timeout: Duration) async -> Output? {
        let done = await output.wait(for: timeout) { $0.exit != nil && $0.stdoutClosed && $0.stderrClosed }
        return done ? output.current : nil
    }

    /// SIGTERM, then SIGKILL if it has not exited within `grace`. Returns how it ended.
    @discardableResult
    func terminate(grace: Duration = .seconds(10)) async -> ExitStatus {
        if let status = output.current.exit { return status }
        signal(SIGTERM)
        if let status = await waitForExit(within: grace) { return status }
        return await kill()
    }

    /// SIGKILL and wait for the reaper; a killed process always ends.
    @discardableResult
    func kill() async -> ExitStatus {
        signal(SIGKILL)
        while true {
            if let status = await waitForExit(within: .seconds(30)) { return status }
        }
    }

    // MARK: - Threads

    private func startThreads(stdin: [UInt8], stdinFD: Int32, stdoutFD: Int32, stderrFD: Int32) {
        let output = self.output
        Thread.detachNewThread {
            Self.write(stdin, to: stdinFD)
            close(stdinFD)
        }
        Thread.detachNewThread {
            Self.drain(stdoutFD) { bytes in output.update { $0.stdout += bytes } }
            output.update { $0.stdoutClosed = true }
        }
        Thread.detachNewThread {
            Self.drain(stderrFD) { bytes in output.update { $0.stderr += bytes } }
            output.update { $0.stderrClosed = true }
        }
        let pid = self.pid
        let reaped = self.reaped
        Thread.detachNewThread {
            var info = siginfo_t()
            // Wait without reaping, so that `signal` never races a reused PID.
            while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0, errno == EINTR {}
            var status: Int32 = 0
            reaped.flag.withLock { reaped in
                while waitpid(pid, &status, 0) < 0, errno == EINTR {}
                reaped = true
            }
            let exit: ExitStatus = (status & 0x7f) == 0 ? .exited((status >> 8) & 0xff) : .signaled(status & 0x7f)
            output.update { $0.exit = exit }
        }
    }

    private static func makePipe() throws -> (read: Int32, write: Int32) {
        var descriptors: [Int32] = [0, 0]
        guard LinuxExtensions.pipe2(&descriptors, O_CLOEXEC) == 0 else {
            throw SpawnError(description: "pipe2: \(String(cString: strerror(errno)))")
        }
        return (descriptors[0], descriptors[1])
    }

    private static func drain(_ descriptor: Int32, _ deliver: ([UInt8]) -> Void) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count > 0 { deliver(Array(buffer[0..<count])); continue }
            if count < 0, errno == EINTR { continue }
            break
        }
        close(descriptor)
    }

    private static func write(_ bytes: [UInt8], to descriptor: Int32) {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if count > 0 { offset += count; continue }
            if count < 0, errno == EINTR { continue }
            return
        }
    }
}

/// Runs a command to its end and returns what it printed; kills it after `timeout`.
func runToCompletion(_ executable: String, _ arguments: [String], in directory: String? = nil,
                     stdin: [UInt8] = [], timeout: Duration = .seconds(60)) async throws -> ChildProcess.Output {
    let child = try ChildProcess(executable, arguments, in: directory, stdin: stdin)
    if let output = await child.waitForCompletion(within: timeout) { return output }
    await child.kill()
    let output = child.output.current
    throw SpawnError(description: """
        \(child.commandLine) did not finish within \(timeout); killed it.
        stdout: \(output.stdoutText)
        stderr: \(output.stderrText)
        """)
}

/// Shared by the process object and its reaper thread (which must not keep the object alive).
private final class ReapedFlag: Sendable {
    let flag = Mutex(false)
}

/// glibc functions that Swift's Glibc module hides behind _GNU_SOURCE, looked up at run time.
private enum LinuxExtensions {
    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// `pipe2`: both ends close-on-exec from the start, so no child spawned meanwhile inherits them.
    static let pipe2: Pipe2 = unsafeBitCast(symbol("pipe2"), to: Pipe2.self)
    /// `posix_spawn_file_actions_addchdir_np` (glibc 2.29).
    static let addChdir: AddChdir = unsafeBitCast(symbol("posix_spawn_file_actions_addchdir_np"), to: AddChdir.self)
    /// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34).
    static let addCloseFrom: AddCloseFrom = unsafeBitCast(symbol("posix_spawn_file_actions_addclosefrom_np"),
                                                          to: AddCloseFrom.self)

    private static func symbol(_ name: String) -> UnsafeMutableRawPointer {
        guard let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else {
            fatalError("glibc has no \(name)")
        }
        return address
    }
}
