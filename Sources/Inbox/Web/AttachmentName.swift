/// A download's file name in `Content-Disposition`: an ASCII fallback with only safe
/// characters, and the real name percent-encoded in `filename*` (RFC 6266).
enum AttachmentName {
    static func contentDisposition(_ name: String) -> String {
        let bytes = Array(name.utf8.prefix(200))
        let safe = bytes.map { byte -> UInt8 in
            let allowed = (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            return allowed ? byte : UInt8(ascii: "_")
        }
        let hex = Array("0123456789ABCDEF".utf8)
        var encoded: [UInt8] = []
        for byte in bytes {
            if (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") {
                encoded.append(byte)
            } else {
                encoded += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        let fallback = safe.isEmpty ? "attachment" : String(decoding: safe, as: UTF8.self)
        return "attachment; filename=\"\(fallback)\"; filename*=UTF-8''\(String(decoding: encoded, as: UTF8.self))"
    }
}
