import Foundation
import Testing

/// The real programs the tests run: the `backstop` binary under test and its peers.
enum Tools {
    /// `backstop` sits next to the test bundle: both are products of the same build.
    static func backstop() throws -> String {
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let binary = URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("backstop").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw SpawnError(description: "no backstop binary at \(binary); build it with `swift build --product backstop`")
        }
        return binary
    }

    /// The path of `name` in PATH, or nil. Postfix's test programs (smtp-source, smtp-sink) live
    /// in /usr/sbin, which PATH may leave out.
    static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"] {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// The Debian package that provides each peer, for the messages that say what to install.
    static let packages = [
        "swaks": "swaks", "smtp-source": "postfix", "smtp-sink": "postfix", "chromium": "chromium",
        "openssl": "openssl", "python3": "python3", "script": "bsdutils", "rspamd": "rspamd",
    ]

    /// `scripts/test` installs every peer and sets this, so that there a missing peer fails the
    /// tests that need it instead of skipping them.
    static let peersRequired = ProcessInfo.processInfo.environment["BACKSTOP_TEST_PEERS"] == "required"

    /// Whether a test that needs `name` should run: the peer is installed, or it must be. A test
    /// that is not run is a skip the runner counts, with the reason given in its trait.
    static func available(_ name: String) -> Bool {
        peersRequired || find(name) != nil
    }

    /// A peer the tests cannot do without: its absence fails the test with a clear message
    /// rather than letting it pass without having run.
    static func require(_ name: String) throws -> String {
        if let found = find(name) { return found }
        throw SpawnError(description: "\(name) is not installed (not found in PATH or /usr/sbin); `scripts/test` " +
                                      "installs the test peers (apt-get install \(packages[name] ?? name))")
    }

    /// Tests/EndToEndTests/Peers, found from this file's path.
    static let peersDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Peers")

    /// Runs one of the Python peer scripts and returns its stdout; a failing script fails the test.
    static func python(_ script: String, _ arguments: [String], timeout: Duration = .seconds(60)) async throws -> [UInt8] {
        let python = try require("python3")
        let path = peersDirectory.appendingPathComponent(script).path
        let output = try await runToCompletion(python, [path] + arguments, timeout: timeout)
        guard output.exit == .exited(0) else {
            throw SpawnError(description: "\(script) ended with \(output.exit.map(String.init(describing:)) ?? "?"):\n\(output.stderrText)")
        }
        return output.stdout
    }
}

/// A throwaway certificate for CN=localhost, made with openssl in the test's directory.
func makeCertificate(in directory: URL) async throws -> (certificate: String, privateKey: String) {
    let openssl = try Tools.require("openssl")
    let certificate = directory.appendingPathComponent("cert.pem").path
    let key = directory.appendingPathComponent("key.pem").path
    let output = try await runToCompletion(openssl, [
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate,
        "-days", "2", "-subj", "/CN=localhost",
    ])
    guard output.exit == .exited(0) else {
        throw SpawnError(description: "openssl req failed: \(output.stderrText)")
    }
    return (certificate, key)
}
