import BackstopDefaults
import Foundation

/// `[spool] url`: the PostgreSQL database of a spool that several nodes share, written as
/// `postgresql://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=…&sslrootcert=FILE]` (libpq's URI
/// form; user and password percent-encoded).
public struct SpoolURL: Equatable, Sendable, CustomStringConvertible {
    /// How the connection is protected, with libpq's names.
    public enum TLSMode: String, Equatable, Sendable, CaseIterable {
        case disable
        case prefer
        case require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var user: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String
    public var tlsMode: TLSMode
    /// CA certificates to check the server with (`sslrootcert`); the system's when nil.
    public var rootCertificateFile: String?
    /// The URL as written, for rendering the configuration again.
    public var text: String

    /// The URL with its password masked, for logs and errors.
    public private(set) var description: String

    static let schemes = ["postgresql", "postgres"]
    /// Bounds what is read from a configuration file.
    static let maxLength = 4096

    static func parse(_ text: String) throws(ValueError) -> SpoolURL {
        let example = "write postgresql://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=verify-full]"
        guard text.utf8.count <= maxLength else {
            throw ValueError("a URL of \(text.utf8.count) bytes is longer than \(maxLength)")
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme,
              schemes.contains(scheme.lowercased())
        else { throw ValueError("expected a postgresql:// URL; \(example)") }
        guard let host = components.host, !host.isEmpty else {
            throw ValueError("the URL names no host; \(example)")
        }
        guard let user = components.user, !user.isEmpty else {
            throw ValueError("the URL names no user; \(example)")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else {
            throw ValueError("the URL names no database (the path after the host); \(example)")
        }
        let port = components.port ?? BackstopDefaults.Postgres.port
        guard (1...65_535).contains(port) else { throw ValueError("port \(port) is not between 1 and 65535") }
        var tlsMode = TLSMode.prefer
        var rootCertificateFile: String?
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                    let modes = TLSMode.allCases.map(\.rawValue).joined(separator: ", ")
                    throw ValueError("sslmode \(quoted(item.value ?? "")) is not one of \(modes)")
                }
                tlsMode = mode
            case "sslrootcert":
                guard let file = item.value, !file.isEmpty else { throw ValueError("sslrootcert names no file") }
                rootCertificateFile = file
            default:
                throw ValueError("unknown parameter \(quoted(item.name)) in the URL; Backstop reads sslmode and sslrootcert")
            }
        }
        if rootCertificateFile != nil, tlsMode != .verifyCA, tlsMode != .verifyFull {
            throw ValueError("sslrootcert is only used with sslmode=verify-ca or verify-full")
        }
        var masked = components
        if masked.password != nil { masked.password = "***" }
        return SpoolURL(user: user, password: components.password, host: host, port: port, database: database,
                        tlsMode: tlsMode, rootCertificateFile: rootCertificateFile, text: text,
                        description: masked.string ?? "postgresql://\(host)/\(database)")
    }

    private init(user: String, password: String?, host: String, port: Int, database: String, tlsMode: TLSMode,
                 rootCertificateFile: String?, text: String, description: String) {
        self.user = user
        self.password = password
        self.host = host
        self.port = port
        self.database = database
        self.tlsMode = tlsMode
        self.rootCertificateFile = rootCertificateFile
        self.text = text
        self.description = description
    }
}
