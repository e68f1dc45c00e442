/// A problem with a configuration or recipients file, told in one line that names the
/// file and the key (or line), says what is wrong and what to write instead.
///
///     config/backstop.toml: [server] max_recipients: expected an integer, found a string ("100")
public struct ConfigError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Where in the file the problem is.
    public enum Location: Equatable, Sendable {
        /// The file as a whole: it cannot be read, or a top-level name is wrong.
        case file
        /// A line of the file, for syntax errors and recipients files.
        case line(Int)
        /// A whole section, such as `[server]` given as something other than a table.
        case section(String)
        /// One key of a section.
        case key(section: String, key: String)
    }

    /// The path of the file, as the operator wrote it.
    public let file: String
    public let location: Location
    /// What is wrong and what to do about it.
    public let problem: String

    public init(file: String, location: Location, problem: String) {
        self.file = file
        self.location = location
        self.problem = problem
    }

    public var description: String {
        switch location {
        case .file: "\(file): \(problem)"
        case .line(let line): "\(file): line \(line): \(problem)"
        case .section(let section): "\(file): [\(section)]: \(problem)"
        case .key(let section, let key): "\(file): [\(section)] \(key): \(problem)"
        }
    }
}

/// A value that breaks its grammar or its bounds, before we know which file and key it
/// came from; `KeyContext` turns it into a `ConfigError`.
struct ValueError: Error {
    let problem: String

    init(_ problem: String) {
        self.problem = problem
    }
}
