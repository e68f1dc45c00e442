import Foundation

/// A directory of its own for one test (its config, certificate, spool), removed afterwards
/// however the test ends.
func withTestDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("backstop-e2e-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try await body(directory)
}

extension URL {
    func write(_ text: String, to name: String) throws -> URL {
        let file = appendingPathComponent(name)
        try Data(text.utf8).write(to: file)
        return file
    }
}
