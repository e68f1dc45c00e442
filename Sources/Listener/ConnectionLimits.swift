import NIOCore
import SMTPProtocol
import BackstopSync

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Caps on concurrent connections, in total and per client (`421 4.7.0` past them). A client
/// is an IPv4 address, or an IPv6 /64: whoever has one IPv6 address usually holds the whole
/// /64, so counting each address would give them 2^64 allowances.
public final class ConnectionLimits: Sendable {
    public let maxTotal: Int
    public let maxPerAddress: Int
    private let state = Locked<(total: Int, perAddress: [String: Int])>((0, [:]))

    public init(maxTotal: Int, maxPerAddress: Int) {
        self.maxTotal = maxTotal
        self.maxPerAddress = maxPerAddress
    }

    public enum Admission: Equatable, Sendable {
        case admitted
        case tooManyInTotal
        case tooManyFromAddress
    }

    /// Counts the connection in if there is room; an admitted connection must be `release`d.
    public func admit(_ address: String) -> Admission {
        let address = Self.client(of: address)
        return state.withLock { state in
            if state.total >= maxTotal { return .tooManyInTotal }
            let mine = state.perAddress[address, default: 0]
            if mine >= maxPerAddress { return .tooManyFromAddress }
            state.total += 1
            state.perAddress[address] = mine + 1
            return .admitted
        }
    }

    public func release(_ address: String) {
        let address = Self.client(of: address)
        state.withLock { state in
            state.total -= 1
            let mine = state.perAddress[address, default: 1] - 1
            state.perAddress[address] = mine == 0 ? nil : mine
        }
    }

    public var open: Int { state.withLock { $0.total } }

    /// The key a connection from `address` is counted under: its `ClientNetwork`.
    static func client(of address: String) -> String {
        ClientNetwork.key(of: address)
    }
}

/// The open sessions, so a shutdown can reach each of them.
public final class SessionRegistry: Sendable {
    private let channels = Locked<[ObjectIdentifier: any Channel]>([:])

    public init() {}

    func add(_ channel: any Channel) {
        channels.withLock { $0[ObjectIdentifier(channel)] = channel }
    }

    func remove(_ channel: any Channel) {
        channels.withLock { $0[ObjectIdentifier(channel)] = nil }
    }

    public var all: [any Channel] { channels.withLock { Array($0.values) } }
    public var count: Int { channels.withLock { $0.count } }
}

/// Sent down a session's pipeline when the server shuts down.
public struct ShutdownRequested: Sendable {
    public init() {}
}
