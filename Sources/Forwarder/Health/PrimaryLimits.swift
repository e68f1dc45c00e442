import SMTPProtocol
import SpoolContract

extension PrimaryCapabilities {
    /// The part of an EHLO reply the listener's offer and the spool's memory depend on.
    public init(_ ehlo: EHLOCapabilities) {
        self.init(sizeLimit: ehlo.sizeLimit, smtpUTF8: ehlo.smtpUTF8, eightBitMIME: ehlo.eightBitMIME,
                  dsn: ehlo.dsn, chunking: ehlo.chunking)
    }
}

/// What the listener may offer senders, given what the primaries offer Backstop.
public enum PrimaryLimits {
    /// The most restrictive of `primaries` (every known host of every route: the recipients,
    /// and so the route, are not known at EHLO), never more than `ownMaxSize`. Nil when no
    /// primary is known yet: the listener then offers its own limits.
    ///
    /// SIZE absent or `SIZE 0` (no fixed limit, RFC 1870 §4) does not lower the size.
    public static func offered(ownMaxSize: Int, primaries: some Collection<PrimaryCapabilities>) -> OfferedExtensions? {
        guard !primaries.isEmpty else { return nil }
        let sizes = primaries.compactMap(\.sizeLimit).filter { $0 > 0 }
        return OfferedExtensions(maxMessageSize: min(ownMaxSize, sizes.min() ?? ownMaxSize),
                                 smtpUTF8: primaries.allSatisfy(\.smtpUTF8),
                                 eightBitMIME: primaries.allSatisfy(\.eightBitMIME))
    }
}
