import BackstopConfig
import NIOSSL

/// Builds the STARTTLS server context from `[tls]`, with errors that name the key and file.
public enum TLSContextLoader {
    public static func load(_ settings: TLSSettings, file: String) throws(ConfigError) -> NIOSSLContext? {
        guard let configuration = try serverConfiguration(settings, file: file), let keyPath = settings.privateKey else {
            return nil
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw ConfigError(file: file, location: .key(section: "tls", key: "private_key"),
                              problem: "\(keyPath): does not match the certificate or is unusable (\(error))")
        }
    }

    /// The server TLS configuration of `[tls]` (TLS 1.2 and later), for servers that build their
    /// own context (the emergency inbox); nil without a certificate.
    public static func serverConfiguration(_ settings: TLSSettings, file: String) throws(ConfigError) -> TLSConfiguration? {
        guard let certificatePath = settings.certificate, let keyPath = settings.privateKey else { return nil }
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw ConfigError(file: file, location: .key(section: "tls", key: "certificate"),
                              problem: "\(certificatePath): cannot load the certificate (\(error))")
        }
        guard !chain.isEmpty else {
            throw ConfigError(file: file, location: .key(section: "tls", key: "certificate"),
                              problem: "\(certificatePath): no certificate in the file")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            throw ConfigError(file: file, location: .key(section: "tls", key: "private_key"),
                              problem: "\(keyPath): cannot load the private key (\(error))")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        return configuration
    }
}
