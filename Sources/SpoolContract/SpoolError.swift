import Foundation

/// Why the spool could not do what was asked. Every case is temporary from a
/// sender's point of view: the listener answers `.diskFull` with `452 4.3.1`
/// and everything else with `451 4.3.0`, so nothing is ever refused for good
/// because of a spool fault.
public enum SpoolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// SQLITE_FULL, or ENOSPC while reading a body file.
    case diskFull(String)
    /// SQLITE_BUSY or SQLITE_LOCKED: another connection held a lock too long.
    case busy(String)
    /// SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_READONLY, SQLITE_PERM, or a failed file read.
    case io(String)
    /// The database has migrations this Backstop does not know.
    case newerSchema(found: String)
    /// No spool database at this path.
    case notFound(String)
    /// SQLITE_CORRUPT, SQLITE_NOTADB, or rows this Backstop cannot read.
    case corrupt(String)
    case other(String)

    public var description: String {
        switch self {
        case .diskFull(let detail):
            "spool storage is full (\(detail)); free space on the spool's file system"
        case .busy(let detail):
            "spool database is locked by another process (\(detail)); look for a stuck `backstop` command"
        case .io(let detail):
            "spool I/O error (\(detail)); check the disk and the spool directory's owner and permissions"
        case .newerSchema(let found):
            "the spool was last opened by a newer Backstop (unknown schema migrations: \(found)); run that version or later"
        case .notFound(let path):
            "no spool database at \(path); check the path, or run `backstop serve` once to create it"
        case .corrupt(let detail):
            "spool database is damaged (\(detail)); stop Backstop, keep a copy of the file, and restore or repair it"
        case .other(let detail):
            "spool error: \(detail)"
        }
    }
}

extension SpoolError {
    /// Failures that may be gone in a while: a lock, a full disk, an I/O error or a lost
    /// connection. Corruption and other errors (a constraint) would fail the same way again.
    package var mayPass: Bool {
        switch self {
        case .busy, .diskFull, .io: true
        case .newerSchema, .notFound, .corrupt, .other: false
        }
    }
}
