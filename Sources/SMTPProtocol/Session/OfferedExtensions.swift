/// What the listener advertises in EHLO and enforces in the session beyond its own settings:
/// no more than the primaries can take, so that Backstop never accepts a message it could
/// only bounce later (a backscatter and a broken promise of its `250`).
public struct OfferedExtensions: Hashable, Sendable {
    /// The largest message accepted; never more than `SessionSettings.maxMessageSize`.
    public var maxMessageSize: Int
    /// SMTPUTF8 (RFC 6531) is advertised and `MAIL ... SMTPUTF8` accepted.
    public var smtpUTF8: Bool
    /// 8BITMIME (RFC 6152) is advertised and `BODY=8BITMIME` accepted.
    public var eightBitMIME: Bool

    public init(maxMessageSize: Int, smtpUTF8: Bool, eightBitMIME: Bool) {
        self.maxMessageSize = maxMessageSize
        self.smtpUTF8 = smtpUTF8
        self.eightBitMIME = eightBitMIME
    }

    /// Everything Backstop itself supports, up to its own size limit: before anything is
    /// known of the primaries.
    public static func own(_ settings: SessionSettings) -> OfferedExtensions {
        OfferedExtensions(maxMessageSize: settings.maxMessageSize, smtpUTF8: true, eightBitMIME: true)
    }
}
