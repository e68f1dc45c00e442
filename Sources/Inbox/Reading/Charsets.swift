/// Text in the charsets mail uses most. UTF-8 (and ASCII) decode with U+FFFD for invalid
/// bytes; the Latin ones map byte to code point; anything else is read as UTF-8.
enum Charsets {
    static func decode(_ bytes: [UInt8], charset: String) -> String {
        let name = String(decoding: Array(charset.utf8).map(asciiLowercased), as: UTF8.self)
        switch name {
        case "iso-8859-1", "latin1", "iso_8859-1", "windows-1252", "cp1252", "iso-8859-15":
            var text = String.UnicodeScalarView()
            for byte in bytes { text.append(Unicode.Scalar(byte)) }
            return String(text)
        default:
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}
