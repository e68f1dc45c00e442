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

    @Test func stuffsOnlyDotsAtLineStarts() {
        var stuffer = DotStuffer()
        var wire = ByteBuffer()
        stuffer.stuff(Array(".a.b\r\n.\r\nc.\r\n".utf8), into: &wire)
        stuffer.finish(into: &wire)
        #expect(String(buffer: wire) == "..a.b\r\n..\r\nc.\r\n.\r\n")
    }
}
