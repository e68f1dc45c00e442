/// Events per client in a sliding window, for rate limits: each client keeps at most `limit`
/// instants, and at most `maxClients` clients are tracked (those idle longest go first), so
/// memory is bounded whatever the clients do. Pure: the caller gives the time.
struct EventWindow<Instant: Comparable & Sendable>: Sendable {
    let limit: Int
    let maxClients: Int
    /// Whether `instant` is still inside the window as of `now`.
    let isRecent: @Sendable (_ instant: Instant, _ now: Instant) -> Bool
    private var events: [String: [Instant]] = [:]

    init(limit: Int, maxClients: Int, isRecent: @escaping @Sendable (Instant, Instant) -> Bool) {
        precondition(limit >= 1 && maxClients >= 1, "a window counts at least one event of one client")
        self.limit = limit
        self.maxClients = maxClients
        self.isRecent = isRecent
    }

    var trackedClients: Int { events.count }

    /// Counts an event for `client` unless it already had `limit` in the window; false: refused.
    mutating func admit(_ client: String, at now: Instant) -> Bool {
        var recent = (events[client] ?? []).filter { isRecent($0, now) }
        guard recent.count < limit else {
            events[client] = recent
            return false
        }
        recent.append(now)
        store(recent, for: client, now: now)
        return true
    }

    /// Records an event whatever the count; true when `client` is now past `limit`.
    mutating func recordPassing(_ client: String, at now: Instant) -> Bool {
        var recent = (events[client] ?? []).filter { isRecent($0, now) }
        recent.append(now)
        let passed = recent.count > limit
        store(Array(recent.suffix(limit + 1)), for: client, now: now)
        return passed
    }

    mutating func forget(_ client: String) {
        events[client] = nil
    }

    private mutating func store(_ recent: [Instant], for client: String, now: Instant) {
        if events[client] == nil, events.count >= maxClients {
            events = events.filter { $0.value.contains { isRecent($0, now) } }
            if events.count >= maxClients,
               let idlest = events.min(by: { ($0.value.last ?? now) < ($1.value.last ?? now) }) {
                events[idlest.key] = nil
            }
        }
        events[client] = recent
    }
}
