import Metrics
import SMTPProtocol

/// What the listener counts for `/metrics`. Handles are looked up per use rather than kept,
/// so a metrics backend bootstrapped after this code first ran is still the one fed.
enum ListenerMetrics {
    /// Refusals of a recipient or a message, by enhanced status code. Protocol errors and
    /// connection limits are not refusals of mail and are not counted here.
    static let rejectionReasons: [EnhancedStatusCode: String] = [
        .init(5, 7, 1): "relay_denied",
        .init(5, 1, 1): "unknown_recipient",
        .init(4, 1, 1): "unknown_recipient",
        .init(5, 3, 4): "too_big",
        .init(5, 4, 6): "loop",
        .init(5, 6, 0): "bad_content",
        .init(4, 3, 1): "spool_full",
        .init(4, 3, 0): "spool_error",
        .init(4, 4, 3): "primary_up",
    ]

    /// Every value `rejectionReasons` can give, and the refusals of a client for what it is
    /// (DNS lists, rates, pregreet, harvesting), so a scrape shows each at zero from the start.
    static var allRejectionReasons: [String] {
        Array(Set(rejectionReasons.values).union(ClientRefusal.Reason.allCases.map(\.rawValue))).sorted()
    }

    static func connectionOpened() {
        Counter(label: "backstop_smtp_connections_total").increment()
    }

    static func messageAccepted() {
        Counter(label: "backstop_messages_accepted_total").increment()
    }

    static func replied(_ reply: SMTPReply) {
        guard !reply.isPositive, let status = reply.status, let reason = rejectionReasons[status] else { return }
        Counter(label: "backstop_messages_rejected_total", dimensions: [("reason", reason)]).increment()
    }

    /// A client refused for what it is rather than for a recipient or a message it sent.
    static func clientRefused(_ reason: ClientRefusal.Reason) {
        Counter(label: "backstop_messages_rejected_total", dimensions: [("reason", reason.rawValue)]).increment()
    }

    /// From connect to the DNS lists' verdict: what the checks may add to a session's start.
    static func reputationChecked(took duration: Duration) {
        Timer(label: "backstop_reputation_check_seconds").record(duration: duration)
    }

    /// From handing the message to the spool to its commit (or failure): what the sender waits.
    static func commitTook(_ duration: Duration) {
        Timer(label: "backstop_spool_commit_seconds").record(duration: duration)
    }
}

extension ListenerEnvironment {
    /// The reasons `backstop_messages_rejected_total` is labelled with.
    public static var rejectionReasons: [String] { ListenerMetrics.allRejectionReasons }
}
