/// Punycode (RFC 3492): the encoding that turns the Unicode label of an internationalized
/// domain name into the ASCII label after `xn--` (IDNA 2008, RFC 5891), and back.
///
/// Only the bare algorithm: no `xn--` prefix, no case mapping. Basic code points keep their
/// case in both directions, as §5 says; `IDNA` lowercases before it encodes.
public enum Punycode {
    private static let base = 36, tMin = 1, tMax = 26, skew = 38, damp = 700
    private static let initialBias = 72, initialN = 0x80
    /// Inputs are DNS labels (63 octets at most); the bound keeps the quadratic decoder cheap
    /// on hostile input and the arithmetic far from overflow.
    public static let maxInputLength = 255

    /// The Punycode form of `scalars`; nil when the input is too long.
    public static func encode(_ scalars: [Unicode.Scalar]) -> String? {
        guard scalars.count <= maxInputLength else { return nil }
        let input = scalars.map { Int($0.value) }
        var output = input.filter { $0 < initialN }.map { UInt8($0) }
        let basicCount = output.count
        var handled = basicCount
        if basicCount > 0 { output.append(UInt8(ascii: "-")) }
        var n = initialN, delta = 0, bias = initialBias
        while handled < input.count {
            guard let m = input.filter({ $0 >= n }).min() else { return nil }
            delta += (m - n) * (handled + 1)
            n = m
            for c in input {
                if c < n { delta += 1 }
                guard c == n else { continue }
                var q = delta
                var k = base
                while true {
                    let t = threshold(k, bias)
                    if q < t { break }
                    output.append(digit(t + (q - t) % (base - t)))
                    q = (q - t) / (base - t)
                    k += base
                }
                output.append(digit(q))
                bias = adapt(delta, handled + 1, first: handled == basicCount)
                delta = 0
                handled += 1
            }
            delta += 1
            n += 1
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The scalars that `text` (the part after `xn--`) encodes; nil when it is not valid
    /// Punycode: a non-basic character, a bad digit, a value out of range, or overlong input.
    public static func decode<Text: StringProtocol>(_ text: Text) -> [Unicode.Scalar]? {
        let bytes = Array(text.utf8)
        guard bytes.count <= maxInputLength, bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
        let delimiter = bytes.lastIndex(of: UInt8(ascii: "-"))
        var output = delimiter.map { bytes[..<$0].map(Int.init) } ?? []
        var index = delimiter.map { $0 + 1 } ?? 0
        var n = initialN, i = 0, bias = initialBias
        while index < bytes.count {
            let oldI = i
            var w = 1
            var k = base
            while true {
                guard index < bytes.count, let value = digitValue(bytes[index]) else { return nil }
                index += 1
                i += value * w
                let t = threshold(k, bias)
                if value < t { break }
                w *= base - t
                // Bounded input keeps these far below Int.max; a cap still refuses nonsense.
                guard i <= 0x10FFFF * (output.count + 1), w <= 0x10FFFF * base else { return nil }
                k += base
            }
            bias = adapt(i - oldI, output.count + 1, first: oldI == 0)
            n += i / (output.count + 1)
            i %= output.count + 1
            guard n <= 0x10FFFF else { return nil }
            output.insert(n, at: i)
            i += 1
        }
        var scalars: [Unicode.Scalar] = []
        for value in output {
            guard let scalar = Unicode.Scalar(UInt32(value)) else { return nil }
            scalars.append(scalar)
        }
        return scalars
    }

    private static func threshold(_ k: Int, _ bias: Int) -> Int {
        k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
    }

    /// RFC 3492 §6.1.
    private static func adapt(_ delta: Int, _ count: Int, first: Bool) -> Int {
        var delta = first ? delta / damp : delta / 2
        delta += delta / count
        var k = 0
        while delta > ((base - tMin) * tMax) / 2 {
            delta /= base - tMin
            k += base
        }
        return k + (base - tMin + 1) * delta / (delta + skew)
    }

    /// Digits 0–25 are `a`–`z`, 26–35 are `0`–`9`; the encoder writes lowercase.
    private static func digit(_ value: Int) -> UInt8 {
        UInt8(value < 26 ? 0x61 + value : 0x30 + value - 26)
    }

    private static func digitValue(_ byte: UInt8) -> Int? {
        switch byte {
        case 0x30...0x39: return Int(byte) - 0x30 + 26
        case 0x41...0x5A: return Int(byte) - 0x41
        case 0x61...0x7A: return Int(byte) - 0x61
        default: return nil
        }
    }
}
