import ArgumentParser
import BackstopConfig
import Foundation
import Logging
import Spool
import SpoolContract

/// `--config FILE` or `--spool PATH`: which spool an operator command works on. The spool is
/// opened as it exists; a missing or newer one is one line on stderr and exit code 1.
struct SpoolLocation: ParsableArguments {
    @OptionGroup var configOptions: ConfigOptions

    @Option(name: .long, help: ArgumentHelp(
        "Spool database to use instead of the configuration's [spool] path.", valueName: "path"))
    var spool: String?

    /// The configuration, read only when asked for (status needs its primary hosts).
    func configuration() throws -> BackstopConfiguration {
        try configOptions.load().0
    }

    var path: String {
        get throws {
            if let spool { return spool }
            let settings = try configuration().spool
            if let url = settings.url {
                throw OperatorFailure("the configured spool is a PostgreSQL database (\(url)); the operator commands read a SQLite spool: give --spool PATH")
            }
            return settings.path
        }
    }

    /// Opens the spool, read-only unless the command changes it. Creates one only when asked
    /// (`backstop user add` before the first `serve`).
    func open(forChanges: Bool = false, creating: Bool = false) throws -> Spool {
        let path = try self.path
        do {
            if creating { return try Spool(path: path, logger: silent) }
            return try Spool.openExisting(path: path, readOnly: !forChanges, logger: silent)
        } catch {
            throw OperatorFailure(error)
        }
    }
}

/// Spool work that failed: printed as one line on stderr, exit code 1.
struct OperatorFailure: Error, CustomStringConvertible {
    let description: String

    init(_ error: any Error) {
        description = "\(error)"
    }

    init(_ message: String) {
        description = message
    }
}

extension AsyncParsableCommand {
    /// Runs `body` with the spool open and closes it after; every failure becomes one line on
    /// stderr and exit code 1, apart from `ExitCode`s, which pass unchanged.
    func withSpool<T>(_ location: SpoolLocation, forChanges: Bool = false, creating: Bool = false,
                      _ body: (Spool) async throws -> T) async throws -> T {
        do {
            let spool = try location.open(forChanges: forChanges, creating: creating)
            defer { try? spool.close() }
            return try await body(spool)
        } catch let exit as ExitCode {
            throw exit
        } catch {
            printError("\(error)")
            throw ExitCode.failure
        }
    }
}

/// The spool logs its opening and closing; an operator command's output is its report alone.
private let silent = Logger(label: "backstop.cli") { _ in SwiftLogNoOpLogHandler() }

/// The instant the commands call "now": the clock, or `BACKSTOP_NOW` (ISO 8601 or Unix
/// seconds) so that ages in saved reports and tests are reproducible.
enum OperatorClock {
    /// Read once, so that every figure of one report is taken at the same instant.
    static let now: Date = {
        guard let fixed = ProcessInfo.processInfo.environment["BACKSTOP_NOW"] else { return Date() }
        if let seconds = Double(fixed) { return Date(timeIntervalSince1970: seconds) }
        if let date = ISO8601DateFormatter().date(from: fixed) { return date }
        printError("ignoring BACKSTOP_NOW=\(fixed): write ISO 8601 (2025-06-15T18:00:00Z) or Unix seconds")
        return Date()
    }()
}
