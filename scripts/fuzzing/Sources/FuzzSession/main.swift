import FuzzSupport

/// Arbitrary client bytes through a whole SMTP session (`SessionReplay`). The first octet says
/// whether STARTTLS is offered and how the stream is cut into reads; the rest is the stream.
///
/// Beyond the checks on every action: how the bytes were cut into reads never changes a reply,
/// because a pipelining client cannot control TCP segmentation and must not be able to make
/// the server read its commands differently.
@main
enum FuzzSession {
    static func main() { runLibFuzzer { fuzzSession(input($0, $1)); return 0 } }
}

func fuzzSession(_ data: UnsafeBufferPointer<UInt8>) {
    guard let flags = data.first else { return }
    let stream = data.dropFirst()
    let tlsAvailable = flags & 1 == 1
    let pieceSize = Int(flags >> 1) % 17 + 1

    var whole = SessionReplay(tlsAvailable: tlsAvailable)
    whole.receive(stream)
    var pieces = SessionReplay(tlsAvailable: tlsAvailable)
    var offset = stream.startIndex
    while offset < stream.endIndex {
        let end = min(offset + pieceSize, stream.endIndex)
        pieces.receive(stream[offset..<end])
        offset = end
    }
    if whole.transcript != pieces.transcript {
        violated("replies depend on how the stream was cut:\n\(whole.transcript)\nvs\n\(pieces.transcript)")
    }
}
