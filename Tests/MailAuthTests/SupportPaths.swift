import Foundation

/// Where the MailAuth tests find their peers' scripts and the downloaded test vectors.
enum MailAuthTestPaths {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let peers = packageRoot.appendingPathComponent("Tests/MailAuthTests/Peers")
    /// scripts/test downloads and converts published suites here (never into the repository).
    static let vectors = URL(fileURLWithPath: ProcessInfo.processInfo.environment["MAILAUTH_VECTORS"]
        ?? packageRoot.appendingPathComponent(".build/mailauth-vectors").path)
    static let spfSuite = vectors.appendingPathComponent("rfc7208-tests.json")

    /// Under scripts/test every peer is present, so a missing one is a failure, not a skip.
    static var peersRequired: Bool { ProcessInfo.processInfo.environment["BACKSTOP_TEST_PEERS"] == "required" }
}
