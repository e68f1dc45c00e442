/// The shape check for addresses an operator gives `backstop user`: one `@` with something
/// on both sides, no spaces or controls, at most 254 bytes (RFC 5321's path limit).
public enum InboxAddress {
    public static func isPlausible(_ address: String) -> Bool {
        let bytes = Array(address.utf8)
        guard bytes.count <= 254, let at = bytes.lastIndex(of: 0x40), at > 0, at < bytes.count - 1 else { return false }
        return bytes.allSatisfy { $0 > 0x20 && $0 != 0x7F && $0 != 0x3C && $0 != 0x3E }
    }
}
