import BackstopConfig
import Testing

@Suite("[tls] certificate and private key")
struct TLSSettingsTests {
    @Test func bothFilesGiven() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let certificate = try scratch.write("cert.pem", PEM.certificate)
        let key = try scratch.write("key.pem", PEM.privateKey)
        let tls = try parsed(tlsSection(certificate, key)).tls
        #expect(tls.certificate == certificate)
        #expect(tls.privateKey == key)
        #expect(tls.isEnabled)
    }

    @Test func ecAndRSAKeysAreAccepted() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let certificate = try scratch.write("cert.pem", PEM.certificate)
        let ecKey = try scratch.write("ec.pem", PEM.ecPrivateKey)
        let rsaKey = try scratch.write("rsa.pem", PEM.privateKey.replacingOccurrences(of: "PRIVATE KEY", with: "RSA PRIVATE KEY"))
        #expect(try parsed(tlsSection(certificate, ecKey)).tls.isEnabled)
        #expect(try parsed(tlsSection(certificate, rsaKey)).tls.isEnabled)
    }

    @Test func oneWithoutTheOther() throws {
        #expect(configError("[tls]\ncertificate = \"cert.pem\"\n")
            == "config/x.toml: [tls] private_key: missing; certificate is set, and the two go together (set both, or neither for plaintext only)")
        #expect(configError("[tls]\nprivate_key = \"key.pem\"\n")
            == "config/x.toml: [tls] certificate: missing; private_key is set, and the two go together (set both, or neither for plaintext only)")
    }

    @Test func missingFile() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let key = try scratch.write("key.pem", PEM.privateKey)
        let certificate = scratch.path + "/absent.pem"
        #expect(configError(tlsSection(certificate, key))
            == "config/x.toml: [tls] certificate: \(certificate): cannot read file: No such file or directory")
    }

    @Test func noPEMCertificate() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let certificate = try scratch.write("cert.der", "0\u{1}\u{2}binary-looking")
        let key = try scratch.write("key.pem", PEM.privateKey)
        #expect(configError(tlsSection(certificate, key))
            == #"config/x.toml: [tls] certificate: \#(certificate): no PEM certificate found (expected a "-----BEGIN CERTIFICATE-----" block)"#)
    }

    @Test func noPEMPrivateKey() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let certificate = try scratch.write("cert.pem", PEM.certificate)
        let key = try scratch.write("key.txt", "not a key\n")
        #expect(configError(tlsSection(certificate, key))
            == #"config/x.toml: [tls] private_key: \#(key): no PEM private key found (expected a "-----BEGIN PRIVATE KEY-----" block)"#)
    }

    @Test func swappedFiles() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let certificate = try scratch.write("cert.pem", PEM.certificate)
        let key = try scratch.write("key.pem", PEM.privateKey)
        #expect(configError(tlsSection(key, certificate))
            == "config/x.toml: [tls] certificate: \(key): holds a private key, not a certificate; are certificate and private_key swapped?")
        #expect(configError(tlsSection(certificate, certificate))
            == "config/x.toml: [tls] private_key: \(certificate): holds a certificate, not a private key; are certificate and private_key swapped?")
    }

    @Test func encryptedKey() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let certificate = try scratch.write("cert.pem", PEM.certificate)
        let key = try scratch.write("key.pem", PEM.encryptedPrivateKey)
        #expect(configError(tlsSection(certificate, key))
            == "config/x.toml: [tls] private_key: \(key): the key is encrypted and Backstop cannot ask for its passphrase; decrypt it with: openssl pkey -in \(key) -out NEW_FILE")
    }

    private func tlsSection(_ certificate: String, _ key: String) -> String {
        "[tls]\ncertificate = \"\(certificate)\"\nprivate_key = \"\(key)\"\n"
    }
}
