import NIOCore
import SMTPProtocol
import Testing
@testable import Forwarder

@Suite("DotStuffer")
struct DotStufferTests {
    /// Stuffs `content` split at every possible point and checks the receiving side's
    /// decoder gives back exactly the original.
    @Test(arguments: [
        "Subject: x\r\n\r\nbody\r\n",
        ".starts with a dot\r\n",
        "a\r\n.\r\nb\r\n",
        "a\r\n..\r\n...\r\n",
        "no final line ending",
        "bare \n. lf is not a line start\r\n",
        "",
    ])
    func roundTripsThroughTheDecoderAtEverySplit(_ content: String) throws {
        let bytes = Array(content.utf8)
        for split in 0...bytes.count {
            var stuffer = DotStuffer()
            var wire = ByteBuffer()
            stuffer.stuff(Array(bytes[..<split]), into: &wire)
            stuffer.stuff(Array(bytes[split...]), into: &wire)
            stuffer.finish(into: &wire)
            var decoder = DataDecoder(maxLineLength: 1000)
            var decoded: [UInt8] = []
            var ended = false
            while let event = decoder.next(&wire) {
                switch event {
                case .content(let part): decoded += part.readableBytesView
                case .dataEnd: ended = true
                default: Issue.record("unexpected \(event)")
                }
            }
            #expect(ended)
            let expected = content.hasSuffix("\r\n") || content.isEmpty ? bytes : bytes + Array("\r\n".utf8)
            if content.contains("bare \n") {
                #expect(decoder.violation == .bareLineFeed)
            } else {
                #expect(decoded == expected, "split at \(split)")
            }
        }
    }

    /// Every split into three chunks (empty ones and one-byte ones included) stuffs exactly as
    /// the byte-by-byte rule does on the whole content: a dot after CRLF, or at the very start.
    @Test(arguments: [
        ".a\r\n.\r\n..\r\nb.\r\n\r\n.",
        "\r\r\n.\n.\r.\r\n\r\n..",
        "x\r\n.y\r\n",
    ])
    func stuffsAcrossChunkBoundariesAsInOnePiece(_ content: String) {
        let bytes = Array(content.utf8)
        var expected: [UInt8] = []
        for (index, byte) in bytes.enumerated() {
            let startsLine = index == 0 || (index >= 2 && bytes[index - 2] == 13 && bytes[index - 1] == 10)
            if startsLine, byte == UInt8(ascii: ".") { expected.append(byte) }
            expected.append(byte)
        }
        for first in 0...bytes.count {
            for second in first...bytes.count {
                var stuffer = DotStuffer()
                var wire = ByteBuffer()
                stuffer.stuff(Array(bytes[..<first]), into: &wire)
                stuffer.stuff(Array(bytes[first..<second]), into: &wire)
                stuffer.stuff(Array(bytes[second...]), into: &wire)
                #expect(Array(wire.readableBytesView) == expected, "split at \(first), \(second)")
            }
        }
    }

    @Test func stuffsOnlyDotsAtLineStarts() {
        var stuffer = DotStuffer()
        var wire = ByteBuffer()
        stuffer.stuff(Array(".a.b\r\n.\r\nc.\r\n".utf8), into: &wire)
        stuffer.finish(into: &wire)
        #expect(String(buffer: wire) == "..a.b\r\n..\r\nc.\r\n.\r\n")
    }
}
