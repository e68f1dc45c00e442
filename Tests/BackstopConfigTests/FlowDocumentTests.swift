import Foundation
import Testing

/// docs/flow.md walks one message through the modules, naming types and files: a name that no
/// longer exists sends a newcomer looking for nothing. Every `Module/File.swift` it names must
/// exist under Sources/, and every type it names must be declared there (or be a module, or a
/// library type listed below).
@Suite("docs/flow.md names only what exists")
struct FlowDocumentTests {
    /// Types of the libraries Backstop builds on that the walk-through names by design.
    static let libraryTypes: Set<String> = [
        "ByteBuffer", "ChannelHandler", "EmbeddedChannel", "DatabasePool", "IOError", "NIOSSLHandler",
    ]

    static let sources = repositoryRoot.appendingPathComponent("Sources")

    /// Text between backticks, outside fenced code blocks.
    static func codeSpans() throws -> [String] {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/flow.md"), encoding: .utf8)
        var spans: [String] = []
        var inFence = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") { inFence.toggle(); continue }
            if inFence { continue }
            let pieces = line.split(separator: "`", omittingEmptySubsequences: false)
            spans += stride(from: 1, to: pieces.count, by: 2).map { String(pieces[$0]) }
        }
        return spans
    }

    /// Every Swift file under Sources/, as its path below Sources/.
    static func sourceFiles() throws -> [String: String] {
        var files: [String: String] = [:]
        let root = sources.resolvingSymlinksInPath().path
        let walker = FileManager.default.enumerator(atPath: root)
        while let relative = walker?.nextObject() as? String {
            guard relative.hasSuffix(".swift") else { continue }
            files[relative] = try String(contentsOfFile: root + "/" + relative, encoding: .utf8)
        }
        return files
    }

    /// `SessionStateMachine`, `Spool.store`: an UpperCamelCase name with a lower-case letter and a
    /// second capital, so that words such as `RCPT` or `Backstop` are not taken for types.
    static func typeName(in span: String) -> String? {
        let head = span.split(separator: ".").first.map(String.init) ?? span
        let scalars = head.unicodeScalars
        guard let first = scalars.first, ("A"..."Z").contains(first),
              scalars.allSatisfy({ ("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0) }),
              scalars.contains(where: { ("a"..."z").contains($0) }),
              scalars.dropFirst().contains(where: { ("A"..."Z").contains($0) })
        else { return nil }
        return head
    }

    @Test("every file it names exists under Sources/")
    func filesExist() throws {
        let files = try Self.sourceFiles()
        let named = try Self.codeSpans().filter { $0.hasSuffix(".swift") && !$0.contains(" ") }
        #expect(named.count > 10, "the walk-through names the files it passes through")
        for path in named {
            // `Spool/SpoolSchema*.swift` stands for a family of files.
            let found = path.split(separator: "*", maxSplits: 1).count == 2
                ? files.keys.contains { $0.hasPrefix(path.prefix { $0 != "*" }) && $0.hasSuffix(path.drop { $0 != "*" }.dropFirst()) }
                : files[path] != nil
            #expect(found, "docs/flow.md names \(path), which is not under Sources/")
        }
    }

    @Test("every type or module it names is declared under Sources/ or is a listed library type")
    func typesExist() throws {
        let files = try Self.sourceFiles()
        let modules = Set(try FileManager.default.contentsOfDirectory(atPath: Self.sources.path))
        let declarations = files.values.joined(separator: "\n")
        let names = Set(try Self.codeSpans().compactMap(Self.typeName))
        #expect(names.count > 20, "the walk-through names the types it passes through")
        for name in names.sorted() where !Self.libraryTypes.contains(name) && !modules.contains(name) {
            let declared = ["struct", "class", "enum", "protocol", "actor", "typealias"].contains { keyword in
                declarations.range(of: "\(keyword) \(name)[^A-Za-z0-9]", options: .regularExpression) != nil
            }
            #expect(declared, "docs/flow.md names the type \(name), which no file under Sources/ declares")
        }
    }
}
