import Foundation
import GRDB
import SpoolContract

extension SpoolError {
    /// Maps any error met while working on the spool; spool errors pass unchanged.
    init(_ error: any Error) {
        switch error {
        case let error as SpoolError:
            self = error
        case let error as DatabaseError:
            self.init(error)
        default:
            self = .other(String(describing: error))
        }
    }

    init(_ error: DatabaseError) {
        let detail = "SQLite \(error.extendedResultCode.rawValue): \(error.message ?? "no message")"
        switch error.resultCode {
        case .SQLITE_FULL:
            self = .diskFull(detail)
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            self = .busy(detail)
        case .SQLITE_IOERR, .SQLITE_CANTOPEN, .SQLITE_READONLY, .SQLITE_PERM:
            self = .io(detail)
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            self = .corrupt(detail)
        default:
            self = .other(detail)
        }
    }

    /// For failed system calls on body files.
    init(errno code: Int32, doing action: String) {
        let detail = "\(action): \(String(cString: strerror(code)))"
        self = code == ENOSPC ? .diskFull(detail) : .io(detail)
    }
}

/// Runs spool work and turns database errors into `SpoolError`; other errors
/// (a caller's own, or cancellation) pass through unchanged.
func mappingDatabaseErrors<T>(_ work: () async throws -> T) async throws -> T {
    do {
        return try await work()
    } catch let error as DatabaseError {
        throw SpoolError(error)
    }
}

func mappingDatabaseErrors<T>(_ work: () throws -> T) throws -> T {
    do {
        return try work()
    } catch let error as DatabaseError {
        throw SpoolError(error)
    }
}
