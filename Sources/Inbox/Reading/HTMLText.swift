import Foundation

/// An HTML part as plain text: tags dropped (scripts and styles with their content), block
/// ends as line breaks, the common entities decoded. The result is text and is escaped again
/// for the page like any other text.
enum HTMLText {
    static func plainText(_ html: String) -> String {
        var output = String.UnicodeScalarView()
        let scalars = Array(html.unicodeScalars)
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "<" {
                let tagEnd = scalars[index...].firstIndex(of: ">") ?? scalars.count
                let tag = String(String.UnicodeScalarView(scalars[(index + 1)..<min(tagEnd, scalars.count)]))
                let name = tagName(tag)
                if tag.hasPrefix("!--") {
                    index = endOfComment(scalars, from: index)
                    continue
                }
                if name == "script" || name == "style" || name == "head" || name == "title" {
                    index = endOfElement(scalars, name: name, from: tagEnd)
                    continue
                }
                if ["br", "/p", "p", "/div", "/tr", "/li", "/h1", "/h2", "/h3", "/table", "hr"].contains(name) {
                    output.append("\n")
                }
                index = tagEnd + 1
                continue
            }
            if scalar == "&", let (decoded, length) = entity(scalars, at: index) {
                output.append(contentsOf: decoded.unicodeScalars)
                index += length
                continue
            }
            output.append(scalar)
            index += 1
        }
        return collapsingBlankLines(String(output))
    }

    /// "p", "/p", "br": the element name, ASCII lowercased, with "/" for an end tag.
    private static func tagName(_ tag: String) -> String {
        var scalars = Substring(tag).unicodeScalars[...]
        var prefix = ""
        if scalars.first == "/" {
            prefix = "/"
            scalars = scalars.dropFirst()
        }
        let name = scalars.prefix { (0x41...0x5A).contains($0.value) || (0x61...0x7A).contains($0.value) || (0x30...0x39).contains($0.value) }
        return prefix + String(String.UnicodeScalarView(name.map(lower)))
    }

    private static func endOfComment(_ scalars: [Unicode.Scalar], from start: Int) -> Int {
        var index = start + 4
        while index + 2 < scalars.count {
            if scalars[index] == "-", scalars[index + 1] == "-", scalars[index + 2] == ">" { return index + 3 }
            index += 1
        }
        return scalars.count
    }

    /// Just past `</name>` (ASCII case-insensitive), or the end.
    private static func endOfElement(_ scalars: [Unicode.Scalar], name: String, from start: Int) -> Int {
        let closing = Array("</\(name)".unicodeScalars)
        var index = start
        while index + closing.count <= scalars.count {
            if zip(scalars[index..<(index + closing.count)], closing).allSatisfy({ lower($0) == $1 }) {
                return (scalars[index...].firstIndex(of: ">") ?? scalars.count - 1) + 1
            }
            index += 1
        }
        return scalars.count
    }

    private static func lower(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        (0x41...0x5A).contains(scalar.value) ? Unicode.Scalar(scalar.value | 0x20)! : scalar
    }

    private static func entity(_ scalars: [Unicode.Scalar], at start: Int) -> (String, Int)? {
        guard let end = scalars[start...].prefix(12).firstIndex(of: ";") else { return nil }
        let body = String(String.UnicodeScalarView(scalars[(start + 1)..<end]))
        let named = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " "]
        if let text = named[body] { return (text, end - start + 1) }
        if body.hasPrefix("#") {
            let digits = body.dropFirst()
            let value = digits.hasPrefix("x") || digits.hasPrefix("X") ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits)
            if let value, let scalar = Unicode.Scalar(value), value != 0 { return (String(scalar), end - start + 1) }
        }
        return nil
    }

    private static func collapsingBlankLines(_ text: String) -> String {
        var lines: [Substring] = []
        var blank = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let isBlank = line.allSatisfy { $0 == " " || $0 == "\t" || $0 == "\r" }
            blank = isBlank ? blank + 1 : 0
            if blank <= 1 { lines.append(isBlank ? "" : line) }
        }
        return lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
