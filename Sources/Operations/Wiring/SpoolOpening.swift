import BackstopConfig
import BackstopDefaults
import Foundation
import Logging
import NIOSSL
import PostgresNIO
import PostgresSpool
import Spool
import SpoolContract

/// Opens the configured spool: the SQLite file of `[spool] path`, or the PostgreSQL database
/// of `[spool] url` that several nodes may share.
public enum SpoolOpening {
    /// How a command means to use the spool.
    public enum Access: Sendable {
        /// `serve`: created and migrated when missing.
        case serve
        /// Operator changes: a SQLite spool must exist already (`creating` makes one).
        case changes(creating: Bool)
        /// Operator reads: a SQLite spool is opened read-only and must exist.
        case read
    }

    /// `path` overrides `[spool] path` and `url` (an operator's `--spool`).
    public static func open(_ settings: SpoolSettings, path: String? = nil, access: Access,
                            logger: Logger) async throws -> any SpoolBackend {
        if path == nil, let url = settings.url {
            return try await PostgresSpool.open(configuration: try clientConfiguration(url), logger: logger,
                                                dedupWindow: settings.dedupWindow)
        }
        let path = path ?? settings.path
        switch access {
        case .serve, .changes(creating: true):
            return try Spool(path: path, logger: logger, dedupWindow: settings.dedupWindow)
        case .changes(creating: false):
            return try Spool.openExisting(path: path, readOnly: false, logger: logger)
        case .read:
            return try Spool.openExisting(path: path, readOnly: true, logger: logger)
        }
    }

    /// The connection pool's settings for `url`, TLS as libpq's `sslmode` means it: `prefer`
    /// and `require` encrypt without checking the certificate, `verify-ca` checks it against
    /// the CA, `verify-full` the host name too.
    public static func clientConfiguration(_ url: SpoolURL) throws -> PostgresClient.Configuration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let file = url.rootCertificateFile {
            tls.trustRoots = .file(file)
        }
        let mode: PostgresClient.Configuration.TLS
        switch url.tlsMode {
        case .disable:
            mode = .disable
        case .prefer, .require:
            tls.certificateVerification = .none
            mode = url.tlsMode == .prefer ? .prefer(tls) : .require(tls)
        case .verifyCA:
            tls.certificateVerification = .noHostnameVerification
            mode = .require(tls)
        case .verifyFull:
            tls.certificateVerification = .fullVerification
            mode = .require(tls)
        }
        var configuration = PostgresClient.Configuration(host: url.host, port: url.port, username: url.user,
                                                         password: url.password, database: url.database, tls: mode)
        configuration.options.maximumConnections = BackstopDefaults.Postgres.maxConnections
        return configuration
    }
}
