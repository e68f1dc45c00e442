import ArgumentParser
import BackstopConfig
import Foundation
import Logging
import Operations
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

    /// Where this node keeps its files: `--spool`, or `[spool] path` (the SQLite spool itself,
    /// and beside it the listener's refusals file, also when the spool is in PostgreSQL).
    var localPath: String {
        get throws { try spool ?? configuration().spool.path }
    }

    /// Opens the spool: `--spool`, or the configuration's `[spool] path` or `url`. A SQLite
    /// spool is read-only unless the command changes it, and is created only when asked
    /// (`backstop user add` before the first `serve`).
    func open(forChanges: Bool = false, creating: Bool = false) async throws -> any SpoolBackend {
        let settings = spool == nil ? try configuration().spool : SpoolSettings.defaults
        let access: SpoolOpening.Access = forChanges ? .changes(creating: creating) : .read
        do {
            return try await SpoolOpening.open(settings, path: spool, access: access, logger: silent)
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
                      _ body: (any SpoolBackend) async throws -> T) async throws -> T {
        do {
            let spool = try await location.open(forChanges: forChanges, creating: creating)
            do {
                let result = try await body(spool)
                try? await spool.close()
                return result
            } catch {
                try? await spool.close()
                throw error
            }
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
