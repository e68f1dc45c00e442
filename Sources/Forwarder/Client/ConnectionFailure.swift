import SMTPProtocol

/// A failure of the connection itself, before or outside any one message.
///
/// Every case is temporary for the messages involved: none of them says anything about a
/// message, and a secondary MX must not bounce its backlog because the primary's front door
/// misbehaves for a while. A message caught by a lasting one expires after `max_age` with a DSN
/// that quotes it. The HealthMonitor counts these as failed probes.
public enum ConnectionFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// Nothing listens on the port (TCP RST).
    case connectRefused
    /// The name did not resolve, the network is unreachable, or connecting failed otherwise.
    case unreachable(String)
    /// The primary did not answer this step within its timeout.
    case timeout(SMTPStep)
    /// The primary closed the connection during this step.
    case closed(SMTPStep)
    /// The greeting was not 220.
    case greeting(SMTPReply)
    /// Both EHLO and HELO were refused.
    case helloRejected(SMTPReply)
    /// STARTTLS failed, was required and not offered, or the certificate did not verify.
    case tlsFailed(String)
    /// The primary introduced itself with our own hostname: delivering would loop.
    case loopDetected(peerName: String)
    /// The primary's replies could not be parsed or came out of turn.
    case protocolViolation(String)

    /// True when the failure says the host is unwell rather than something about this delivery:
    /// it counts as a failed health probe. A TLS failure does not (probes do not use TLS, so
    /// counting it would make the host flap); it defers the message with backoff instead.
    public var isHostLevel: Bool {
        switch self {
        case .connectRefused, .unreachable, .greeting, .helloRejected, .loopDetected: return true
        case .timeout(let step), .closed(let step): return [.connect, .greeting, .ehlo, .helo].contains(step)
        case .tlsFailed, .protocolViolation: return false
        }
    }

    /// The reply that caused the failure, if the primary gave one.
    public var reply: SMTPReply? {
        switch self {
        case .greeting(let reply), .helloRejected(let reply): return reply
        default: return nil
        }
    }

    /// RFC 3463 status for DSNs; always class 4 (see the type's comment).
    public var status: EnhancedStatusCode {
        switch self {
        case .connectRefused, .unreachable: return .init(4, 4, 1)
        case .timeout, .closed: return .init(4, 4, 2)
        case .greeting, .helloRejected: return .init(4, 4, 0)
        case .tlsFailed: return .init(4, 7, 5)
        case .loopDetected: return .init(4, 4, 6)
        case .protocolViolation: return .init(4, 5, 0)
        }
    }

    /// One line for logs and health history, e.g. "connect refused", "421 from greeting".
    public var description: String {
        switch self {
        case .connectRefused: return "connect refused"
        case .unreachable(let why): return "cannot connect: \(why)"
        case .timeout(let step): return "timeout waiting for \(step)"
        case .closed(let step): return "connection closed by the primary during \(step)"
        case .greeting(let reply): return "\(reply.code) from greeting (\(reply))"
        case .helloRejected(let reply): return "EHLO and HELO refused (\(reply))"
        case .tlsFailed(let why): return "TLS failed: \(why)"
        case .loopDetected(let name):
            return "mail loop: the primary introduces itself as \(name), which is this host; check the [primary] hosts"
        case .protocolViolation(let why): return "protocol error: \(why)"
        }
    }
}
