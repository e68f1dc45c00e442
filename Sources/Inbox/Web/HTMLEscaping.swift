/// Text for HTML: every scalar that could open markup, end an attribute or start an entity
/// is written as a character reference, and controls (apart from tab and line breaks) are
/// dropped. Mail-derived text goes through here and nowhere else.
func html(_ text: String) -> String {
    var output = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": output.append(contentsOf: "&amp;".unicodeScalars)
        case "<": output.append(contentsOf: "&lt;".unicodeScalars)
        case ">": output.append(contentsOf: "&gt;".unicodeScalars)
        case "\"": output.append(contentsOf: "&quot;".unicodeScalars)
        case "'": output.append(contentsOf: "&#39;".unicodeScalars)
        case "\t", "\n": output.append(scalar)
        case "\r": continue
        default:
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) { continue }
            output.append(scalar)
        }
    }
    return String(output)
}
