/// Builds a signature header field (DKIM-Signature, ARC-Message-Signature, ARC-Seal) from
/// its tags, folded so no line passes 78 characters, with b= last so it can be filled in
/// after the rest has been hashed.
struct SignatureFieldBuilder {
    let name: String
    var tags: [(String, String)]

    /// The field with `b=` empty (what gets hashed) or holding `signature`.
    func field(signature: [UInt8]?) -> HeaderField {
        var lines: [String] = []
        var line = name + ":"
        func add(_ piece: String) {
            if line.utf8.count + 1 + piece.utf8.count > 78, line.utf8.count > name.utf8.count + 1 {
                lines.append(line)
                line = "\t" + piece
            } else {
                line += " " + piece
            }
        }
        for (tag, value) in tags { add(tag + "=" + value + ";") }
        // b= always opens its own line, so the field hashed with b= empty has the same bytes
        // before it as the field sent, whatever the length of the signature.
        lines.append(line)
        line = "\tb="
        if let signature {
            // In chunks; FWS inside base64 is allowed and removed before decoding.
            let encoded = Array(Base64.encode(signature).utf8)
            for (index, start) in stride(from: 0, to: encoded.count, by: 64).enumerated() {
                let chunk = String(decoding: encoded[start..<min(start + 64, encoded.count)], as: UTF8.self)
                if index == 0 { line += chunk } else { lines.append(line); line = "\t " + chunk }
            }
        }
        lines.append(line)
        return HeaderField(raw: Array((lines.joined(separator: "\r\n") + "\r\n").utf8))!
    }
}
