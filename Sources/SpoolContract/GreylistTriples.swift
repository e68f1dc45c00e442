import Foundation

/// Greylisting's memory (`[greylist]`): when each (client network, sender, recipient) triple
/// was first and last seen. Whether a triple has waited long enough is the reader's call.
public protocol GreylistTriples: Sendable {
    /// Records a sighting of `triple` at `now` and returns when it was first seen (`now` for a
    /// triple not seen before).
    func sightGreylistTriple(_ triple: GreylistTriple, at now: Date) async throws -> Date

    /// Forgets triples last seen before `lastSeenBefore`. Returns how many were forgotten.
    func forgetGreylistTriples(lastSeenBefore: Date) async throws -> Int
}

/// One greylisting key. The addresses are compared as `AddressText.matchingKey` makes them;
/// the client is its network (an IPv4 /24 or an IPv6 /64), as a pool of outgoing servers
/// retries from a neighbouring address.
public struct GreylistTriple: Hashable, Sendable {
    public var clientNetwork: String
    public var sender: String
    public var recipient: String

    public init(clientNetwork: String, sender: String, recipient: String) {
        self.clientNetwork = clientNetwork
        self.sender = sender
        self.recipient = recipient
    }
}
