import Foundation
import NIOSSL

/// A self-signed certificate for the fake primary's STARTTLS, valid until 2126, for the name
/// `localhost` only (so connecting as `127.0.0.1` is a name mismatch).
/// Test material only: the key protects nothing.
enum TestCertificate {
    static let certificatePEM = """
-----BEGIN CERTIFICATE-----
MIIBlDCCATugAwIBAgIUMvDA48VAvkkp3/CXpsyaEMVY+5UwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyMTA2MzkwN1oYDzIxMjYxMDI4
MDYzOTA3WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAQMc6k1CiGzy0g0yPy/EANFLjJZYqobNslQPDJkR4NaGHDsBP+9s9RH
UEmi6Xlp+7AvsZJIRwzMzViohOqEw27io2kwZzAdBgNVHQ4EFgQU/Nvxt/tYOpwW
raFU1TdA3Q1ao24wHwYDVR0jBBgwFoAU/Nvxt/tYOpwWraFU1TdA3Q1ao24wFAYD
VR0RBA0wC4IJbG9jYWxob3N0MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwID
RwAwRAIgKBClU8dIjnJBfHl4wSvlqDBjSJFvG3IhMK+zEt9MUXYCIA1+TDDZyZDX
zXXMUKa43r1bESfIA38YCWZNVDVZ6Dtl
-----END CERTIFICATE-----
"""

    static let privateKeyPEM = """
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgSNeFkXlw1F8s/CXT
mUujtp/An4owKnhkL3wEfmtKgXyhRANCAAQMc6k1CiGzy0g0yPy/EANFLjJZYqob
NslQPDJkR4NaGHDsBP+9s9RHUEmi6Xlp+7AvsZJIRwzMzViohOqEw27i
-----END PRIVATE KEY-----
"""

    static func serverContext() throws -> NIOSSLContext {
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(try NIOSSLCertificate(bytes: Array(certificatePEM.utf8), format: .pem))],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem)))
        return try NIOSSLContext(configuration: configuration)
    }

    /// Writes the certificate where `[primary] ca_file` can point; the caller removes it.
    static func writeCAFile() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("backstop-test-ca-\(UUID().uuidString).pem").path
        try certificatePEM.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
