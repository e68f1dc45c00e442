import MailNames

/// What copies of one message share besides their content: its Message-ID, its sender and its
/// set of recipients.
/// Recipient order and repeated RCPTs do not matter, nor the case of a domain; the case of a
/// local part does (RFC 5321 §2.4 leaves it to the receiving host).
package struct DuplicateKey: Equatable, Sendable {
    package var messageID: String
    package var sender: String
    package var recipientsHash: Int64

    package init?(_ envelope: Envelope) {
        self.init(messageID: envelope.messageID, sender: envelope.sender, recipients: envelope.recipients.map(\.address))
    }

    /// Nil without a Message-ID: nothing else tells two messages from two copies of one.
    package init?(messageID: String?, sender: String, recipients: [String]) {
        guard let messageID = messageID?.trimmingCharacters(in: .whitespaces), !messageID.isEmpty else {
            return nil
        }
        self.messageID = messageID
        self.sender = Self.canonical(sender)
        // Sets and sorts of bytes, not of `String`s: those merge canonically equivalent
        // addresses (`é` and `e` + U+0301), which the primary may deliver to different people.
        let set = Set(recipients.map { Array(Self.canonical($0).utf8) }).sorted { $0.lexicographicallyPrecedes($1) }
        self.recipientsHash = Self.fnv1a(Array(set.joined(separator: [UInt8(ascii: "\n")])))
    }

    private static func canonical(_ address: String) -> String {
        guard let at = AddressText.lastAt(in: address) else { return MailScalars.asciiLowercased(address) }
        return address[..<at] + "@" + AddressText.comparableDomain(of: address)
    }

    /// 64-bit FNV-1a: stable across processes, unlike `Hasher`. It need not resist forgery:
    /// whoever can forge the Message-ID and sender can as well repeat the recipients.
    private static func fnv1a(_ bytes: [UInt8]) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return Int64(bitPattern: hash)
    }
}
