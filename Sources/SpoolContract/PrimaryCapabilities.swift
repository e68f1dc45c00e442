#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a primary host last said it can take, in its EHLO reply: the listener offers senders
/// no more than this. Kept in the spool so that it survives a restart, is shared by the
/// nodes of one queue, and still holds while the primary is down.
public struct PrimaryCapabilities: Hashable, Sendable {
    /// SIZE (RFC 1870): nil when not offered, 0 when offered without a limit.
    public var sizeLimit: Int?
    public var smtpUTF8: Bool
    public var eightBitMIME: Bool
    public var dsn: Bool
    public var chunking: Bool

    public init(sizeLimit: Int?, smtpUTF8: Bool, eightBitMIME: Bool, dsn: Bool, chunking: Bool) {
        self.sizeLimit = sizeLimit
        self.smtpUTF8 = smtpUTF8
        self.eightBitMIME = eightBitMIME
        self.dsn = dsn
        self.chunking = chunking
    }
}

/// The primaries' capabilities as last observed, one row per host (`host:port`).
public protocol PrimaryCapabilityStore: Sendable {
    /// Stores what `host` offered at `observedAt`; an older observation never replaces a newer one.
    func recordPrimaryCapabilities(_ capabilities: PrimaryCapabilities, host: String, observedAt: Date) async throws

    /// The last known capabilities of every host ever observed.
    func primaryCapabilities() async throws -> [String: PrimaryCapabilities]
}
