import BackstopConfig
import Foundation

/// The name test configurations go by in error messages.
let testFile = "config/x.toml"

/// The one-line error `toml` produces, or nil when it parses.
func configError(_ toml: String) -> String? {
    do {
        _ = try BackstopConfiguration.parse(toml: toml, file: testFile)
        return nil
    } catch {
        return error.description
    }
}

/// `toml` parsed; a parse error fails the calling test with its message.
func parsed(_ toml: String) throws -> BackstopConfiguration {
    try BackstopConfiguration.parse(toml: toml, file: testFile)
}

/// The repository's root, found from this file so that tests run from any directory.
let repositoryRoot = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

let shippedConfigPath = repositoryRoot.appendingPathComponent("config/backstop.toml").path

/// A fresh directory for files a test needs, removed by `remove()`.
struct ScratchDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "/backstop-config-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Writes `contents` to `name` in the directory and returns the file's path.
    func write(_ name: String, _ contents: String) throws -> String {
        let file = path + "/" + name
        try contents.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

enum PEM {
    static let certificate = """
        -----BEGIN CERTIFICATE-----
        MIIBszCCAVmgAwIBAgIUFakeCertificateBodyForTests
        -----END CERTIFICATE-----

        """
    static let privateKey = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawFakeKeyBodyForTests
        -----END PRIVATE KEY-----

        """
    static let ecPrivateKey = """
        -----BEGIN EC PRIVATE KEY-----
        MHcCAQEEIFakeKeyBodyForTests
        -----END EC PRIVATE KEY-----

        """
    static let encryptedPrivateKey = """
        -----BEGIN ENCRYPTED PRIVATE KEY-----
        MIHsMFcGCSqGSIb3DQEFDTBKFakeKeyBodyForTests
        -----END ENCRYPTED PRIVATE KEY-----

        """
}
