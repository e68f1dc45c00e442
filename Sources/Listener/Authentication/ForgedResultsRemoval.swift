import Foundation
import SpoolContract

/// Removes incoming Authentication-Results fields that claim our authserv-id (RFC 8601 §5),
/// the one change Backstop makes to a received header. Rare, so a message that has them is
/// copied once without them; every other message is left as it is.
enum ForgedResultsRemoval {
    static func remove(_ ranges: [Range<Int>], from message: MessageBody) throws -> MessageBody {
        guard !ranges.isEmpty else { return message }
        switch message {
        case .bytes(let bytes):
            return .bytes(kept(bytes, without: ranges))
        case .file(let path):
            // The fields lie in the header block, which is bounded; the rest is copied in chunks.
            let source = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? source.close() }
            let copyPath = path + ".ar"
            guard FileManager.default.createFile(atPath: copyPath, contents: nil) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: copyPath])
            }
            let copy = try FileHandle(forWritingTo: URL(fileURLWithPath: copyPath))
            do {
                let headEnd = ranges.last!.upperBound
                let head = try source.read(upToCount: headEnd).map { Array($0) } ?? []
                try copy.write(contentsOf: kept(head, without: ranges))
                while let chunk = try source.read(upToCount: MessageStream.chunkSize), !chunk.isEmpty {
                    try copy.write(contentsOf: chunk)
                }
                try copy.close()
                try FileManager.default.removeItem(atPath: path)
            } catch {
                try? copy.close()
                try? FileManager.default.removeItem(atPath: copyPath)
                throw error
            }
            return .file(path: copyPath)
        }
    }

    private static func kept(_ bytes: [UInt8], without ranges: [Range<Int>]) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var start = 0
        for range in ranges where range.lowerBound >= start && range.upperBound <= bytes.count {
            result += bytes[start..<range.lowerBound]
            start = range.upperBound
        }
        result += bytes[start...]
        return result
    }
}
