/// Text from the spool (addresses, replies, header fields a client wrote) on its way to an
/// operator's terminal: controls there are commands (ESC starts a sequence that can rewrite
/// the screen or the title), and bidi overrides reorder what is shown, so neither is written raw.
public enum TerminalSafety {
    /// C0 and C1 controls and DEL (Cc), format characters (Cf: bidi embeddings, overrides and
    /// isolates, zero-width characters) and the line and paragraph separators.
    public static func mustEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator: return true
        default: return false
        }
    }

    /// `text` with every scalar `mustEscape` names written as `\u{1B}`, `\u{202E}`; with
    /// `keepingLineBreaks`, LF and tab stay (a header section keeps its lines and folds).
    public static func escaped(_ text: String, keepingLineBreaks: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: mustEscape) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if !mustEscape(scalar) || (keepingLineBreaks && (scalar == "\n" || scalar == "\t")) {
                out.append(scalar)
            } else {
                out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            }
        }
        return String(out)
    }
}
