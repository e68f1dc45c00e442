import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Debian's rspamd on a free loopback port with a configuration of the test's own: no module
/// that asks the network (filters = ""), DNS pointed at `dnsServer` (never the real resolver),
/// a small TLD list so it starts in seconds, and the usual reject/add header/greylist scores.
/// GTUBE needs no module: rspamd's message parser recognises it. Stopped by PID.
struct TestRspamd {
    let process: ChildProcess
    let port: Int

    /// The user rspamd drops to when the tests run as root (it refuses to run workers as root).
    static let unprivilegedUser = "_rspamd"

    /// rspamd binds its port only after seconds of loading its configuration: a port taken
    /// meanwhile by another test is retried with another one.
    static func start(in directory: URL, dnsServer: String) async throws -> TestRspamd {
        let rspamd = try Tools.require("rspamd")
        let home = directory.appendingPathComponent("rspamd")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        // rspamd writes its databases here after dropping to its own user.
        chmod(home.path, 0o777)
        let tld = try home.write("com\norg\nnet\ntest\nexample\n", to: "tld.dat")
        var lastOutput = ""
        for _ in 0..<5 {
            let port = try freeLoopbackPort()
            let config = try home.write("""
                options {
                  pidfile = "\(home.path)/rspamd.pid";
                  filters = "";
                  url_tld = "\(tld.path)";
                  dns { nameserver = ["\(dnsServer)"]; timeout = 1s; retransmits = 1; }
                }
                logging { type = "console"; level = "info"; }
                actions { reject = 15; add_header = 6; greylist = 4; }
                worker "normal" { bind_socket = "127.0.0.1:\(port)"; count = 1; }
                """, to: "rspamd.conf")
            var arguments = ["-f", "-c", config.path, "--var", "DBDIR=\(home.path)", "--var", "RUNDIR=\(home.path)"]
            if geteuid() == 0 { arguments += ["-u", unprivilegedUser, "-g", unprivilegedUser] }
            let process = try ChildProcess(rspamd, arguments, in: home.path)
            // The main process binds the socket before it forks the worker: once the worker has
            // started, connections are taken.
            let started = await process.output.wait(for: .seconds(60)) {
                $0.exit != nil || ($0.stdoutText + $0.stderrText).contains("starting normal process")
            }
            if started, process.isRunning {
                return TestRspamd(process: process, port: port)
            }
            let output = process.output.current
            await process.kill()
            lastOutput = output.stdoutText + output.stderrText
            guard lastOutput.contains("Address already in use") else { break }
        }
        throw SpawnError(description: "rspamd did not start: \(lastOutput)")
    }

    var url: String { "http://127.0.0.1:\(port)" }

    /// What rspamd logged so far (one line per scanned message, with its queue ID and client).
    var log: String {
        let output = process.output.current
        return output.stdoutText + output.stderrText
    }

    func stop() async {
        _ = await process.terminate(grace: .seconds(10))
    }
}
