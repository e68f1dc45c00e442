import NIOCore

/// A point on an event loop's clock (`EventLoop.now`), so that `SessionDeadlines` runs on the
/// loop's time: real time on a socket, virtual time on an `EmbeddedEventLoop`.
struct LoopInstant: InstantProtocol, Sendable {
    let deadline: NIODeadline

    init(_ deadline: NIODeadline) { self.deadline = deadline }

    func advanced(by duration: Duration) -> LoopInstant {
        LoopInstant(deadline + TimeAmount(duration))
    }

    func duration(to other: LoopInstant) -> Duration {
        .nanoseconds(Int64(other.deadline.uptimeNanoseconds) - Int64(deadline.uptimeNanoseconds))
    }

    static func < (lhs: LoopInstant, rhs: LoopInstant) -> Bool { lhs.deadline < rhs.deadline }
}
