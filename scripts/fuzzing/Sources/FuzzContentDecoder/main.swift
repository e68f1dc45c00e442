import FuzzSupport
import NIOCore
import SMTPProtocol

/// Message content through the framer in DATA or BDAT mode, as it arrives: in pieces.
///
/// The first octet picks the mode and how the stream is cut up; for BDAT the next two give the
/// chunk size. Rules: the outcome never depends on how the bytes were cut; DATA ends only at
/// `<CRLF>.<CRLF>` and clean content is exactly the dot-unstuffed text before it; a chunk is
/// exactly its declared octets; nothing after the end is consumed.
private let maxLineLength = 80

@main
enum FuzzContentDecoder {
    static func main() { runLibFuzzer { fuzzContent(input($0, $1)); return 0 } }
}

func fuzzContent(_ data: UnsafeBufferPointer<UInt8>) {
    let input = Array(data)
    guard let control = input.first else { return }
    let chunked = control & 1 == 1
    let pieceSize = Int(control >> 1) % 13 + 1
    if chunked {
        guard input.count >= 3 else { return }
        let size = Int(input[1]) << 8 | Int(input[2])
        let stream = Array(input[3...])
        let whole = frame(stream, pieceSize: stream.count + 1, chunkSize: size)
        let pieces = frame(stream, pieceSize: pieceSize, chunkSize: size)
        if whole != pieces { violated("BDAT outcome depends on the cuts: \(whole) vs \(pieces)") }
        let expected = min(size, stream.count)
        guard whole.content == Array(stream.prefix(expected)) else { violated("chunk content is not the octets sent") }
        if (whole.end != nil) != (size <= stream.count) { violated("chunk of \(size) ended wrongly after \(stream.count)") }
        if whole.end != nil, whole.consumed != size { violated("chunk consumed \(whole.consumed) of \(size)") }
        var validator = ContentValidator(maxLineLength: maxLineLength)
        validator.inspect(ByteBuffer(bytes: stream.prefix(expected)).readableBytesView)
        let violation = validator.finish()
        if whole.end != nil, whole.end! != violation { violated("chunk violation \(String(describing: whole.end!)) vs \(String(describing: violation))") }
    } else {
        let stream = Array(input[1...])
        let whole = frame(stream, pieceSize: stream.count + 1, chunkSize: nil)
        let pieces = frame(stream, pieceSize: pieceSize, chunkSize: nil)
        if whole.end != pieces.end || whole.consumed != pieces.consumed {
            violated("DATA outcome depends on the cuts: \(whole) vs \(pieces)")
        }
        let reference = unstuff(stream)
        if (whole.end != nil) != (reference != nil) { violated("DATA end: decoder \(whole), reference \(reference as Any)") }
        if let reference, whole.end == .some(nil) {
            guard whole.content == reference.content, pieces.content == reference.content else {
                violated("clean DATA content differs from the unstuffed text")
            }
            if whole.consumed != reference.consumed { violated("DATA consumed \(whole.consumed), expected \(reference.consumed)") }
        }
    }
}

/// What the framer made of a stream: the content, and how the message or chunk ended.
struct Outcome: Equatable, CustomStringConvertible {
    var content: [UInt8] = []
    /// nil while not ended; `.some(violation)` once ended.
    var end: ContentViolation??
    var consumed = 0
    var description: String { "\(content.count) octets, end \(String(describing: end)), consumed \(consumed)" }
}

private func frame(_ stream: [UInt8], pieceSize: Int, chunkSize: Int?) -> Outcome {
    var framer = InboundFramer(maxTextLineLength: maxLineLength)
    if let chunkSize { framer.beginChunk(size: chunkSize, first: true, last: true) } else { framer.beginData() }
    var outcome = Outcome()
    var buffer = ByteBuffer()
    var offset = 0
    feeding: while true {
        while let event = framer.next(&buffer) {
            switch event {
            case .content(var bytes): outcome.content += bytes.readBytes(length: bytes.readableBytes)!
            case .dataEnd(let violation), .chunkEnd(let violation):
                outcome.end = .some(violation)
                outcome.consumed = offset - buffer.readableBytes
                break feeding
            default: violated("\(event) while reading content")
            }
        }
        guard offset < stream.count else { break }
        let end = min(offset + pieceSize, stream.count)
        buffer.writeBytes(stream[offset..<end])
        offset = end
    }
    return outcome
}

/// RFC 5321 §4.5.2 read plainly: CRLF-separated lines up to a line that is a lone dot; a
/// leading dot of any other line is dropped. nil if the terminator never comes.
private func unstuff(_ stream: [UInt8]) -> (content: [UInt8], consumed: Int)? {
    var content: [UInt8] = []
    var lineStart = 0
    while true {
        var index = lineStart
        while index + 1 < stream.count, !(stream[index] == 13 && stream[index + 1] == 10) { index += 1 }
        guard index + 1 < stream.count else { return nil }
        let line = stream[lineStart..<index]
        if line.elementsEqual([UInt8(ascii: ".")]) { return (content, index + 2) }
        content += line.first == UInt8(ascii: ".") ? line.dropFirst() : line
        content += [13, 10]
        lineStart = index + 2
    }
}
