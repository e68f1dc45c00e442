import Crypto

/// Canonicalizes a body (RFC 6376 §3.4.3, §3.4.4) while it streams through, and hashes the
/// first `limit` canonical bytes (l=). It holds no copy of the body: only a count of the
/// empty lines seen last, which are dropped if nothing follows them.
///
/// `@unchecked Sendable`: swift-crypto's SHA256 is a value type (copy-on-write over its
/// context) that is not marked Sendable; a hasher is only ever mutated by its one owner.
public struct DKIMBodyHasher: @unchecked Sendable {
    public let canonicalization: DKIMCanonicalization
    public let limit: Int?
    private var hash = SHA256()
    /// Canonical bytes produced so far, whether hashed or beyond the limit.
    public private(set) var canonicalLength = 0
    private var atLineStart = true
    private var pendingEmptyLines = 0
    private var pendingCR = false
    private var pendingSpace = false
    private var sawContent = false
    /// Canonical bytes not yet hashed: hashing in blocks, not byte by byte.
    private var buffer: [UInt8] = []
    private static let bufferSize = 8_192

    public init(canonicalization: DKIMCanonicalization, limit: Int?) {
        self.canonicalization = canonicalization
        self.limit = limit
        buffer.reserveCapacity(Self.bufferSize)
    }

    public mutating func update(_ chunk: some Sequence<UInt8>) {
        // Contiguous chunks (arrays, slices of the stored message) are walked through a buffer
        // pointer: the generic iterator costs several times more per byte.
        let walked: Void? = chunk.withContiguousStorageIfAvailable { buffer in
            for byte in buffer { consume(byte) }
        }
        if walked == nil {
            for byte in chunk { consume(byte) }
        }
    }

    /// The body hash (bh=) and the canonical body's full length.
    public mutating func finalize() -> (hash: [UInt8], canonicalLength: Int) {
        if pendingCR { pendingCR = false; content(0x0D) }
        if !atLineStart {
            emit([0x0D, 0x0A])
        } else if !sawContent, canonicalization == .simple {
            // §3.4.3: an empty simple body is one CRLF; an empty relaxed body stays empty (RFC 6376 errata 3678).
            emit([0x0D, 0x0A])
        }
        flush()
        return (Array(hash.finalize()), canonicalLength)
    }

    private mutating func consume(_ byte: UInt8) {
        if pendingCR {
            pendingCR = false
            if byte == 0x0A { endLine(); return }
            content(0x0D)
        }
        switch byte {
        case 0x0D:
            pendingCR = true
        case 0x20 where canonicalization == .relaxed, 0x09 where canonicalization == .relaxed:
            pendingSpace = true
        default:
            content(byte)
        }
    }

    private mutating func endLine() {
        pendingSpace = false
        if atLineStart {
            pendingEmptyLines += 1
        } else {
            emit([0x0D, 0x0A])
            atLineStart = true
        }
    }

    private mutating func content(_ byte: UInt8) {
        if atLineStart {
            while pendingEmptyLines > 0 { emit([0x0D, 0x0A]); pendingEmptyLines -= 1 }
            atLineStart = false
        }
        if pendingSpace { emit(0x20); pendingSpace = false }
        emit(byte)
        sawContent = true
    }

    private mutating func emit(_ bytes: [UInt8]) {
        for byte in bytes { emit(byte) }
    }

    private mutating func emit(_ byte: UInt8) {
        buffer.append(byte)
        if buffer.count >= Self.bufferSize { flush() }
    }

    /// Hashes the buffer, up to the l= limit; bytes past it are only counted.
    private mutating func flush() {
        let room = limit.map { max(0, $0 - canonicalLength) } ?? buffer.count
        if room > 0 { hash.update(data: buffer.prefix(room)) }
        canonicalLength += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }
}
