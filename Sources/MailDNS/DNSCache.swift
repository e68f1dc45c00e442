/// Answers kept for as long as their TTL allows, bounded in count and in age. Pure: the
/// caller gives the time, so tests move a clock instead of sleeping.
struct DNSCache<Instant: Comparable & Sendable>: Sendable {
    /// The name as UTF-8 bytes: two names that differ in bytes are two names to DNS, even
    /// when Swift would call the strings equal.
    struct Key: Hashable, Sendable {
        var name: [UInt8]
        var type: DNSRecordType
    }

    private struct Entry: Sendable {
        var response: DNSResponse
        var expires: Instant
    }

    let capacity: Int
    private var entries: [Key: Entry] = [:]
    /// Questions on their way upstream, which a caller asking the same joins; as many as the
    /// lookup pool admits, since a refused lookup returns at once.
    var inFlight: [Key: Task<DNSResponse, Never>] = [:]
    /// Callers waiting on `inFlight`.
    var waiting = 0

    init(capacity: Int) {
        precondition(capacity >= 1, "a cache holds at least one answer")
        self.capacity = capacity
    }

    var count: Int { entries.count }

    /// The answer for `key` if it has not expired at `now`.
    mutating func lookup(_ key: Key, at now: Instant) -> DNSResponse? {
        guard let entry = entries[key] else { return nil }
        guard now < entry.expires else {
            entries[key] = nil
            return nil
        }
        return entry.response
    }

    /// One caller of `flight` got its answer; the question is no longer on its way.
    mutating func land(_ key: Key, _ flight: Task<DNSResponse, Never>) {
        waiting -= 1
        if inFlight[key] == flight { inFlight[key] = nil }
    }

    /// Keeps `response` until `expires`. When full, expired answers go first, then the one
    /// closest to expiry: the cache never grows past `capacity`.
    mutating func store(_ response: DNSResponse, for key: Key, until expires: Instant, now: Instant) {
        if entries[key] == nil, entries.count >= capacity {
            entries = entries.filter { now < $0.value.expires }
            if entries.count >= capacity, let soonest = entries.min(by: { $0.value.expires < $1.value.expires }) {
                entries[soonest.key] = nil
            }
        }
        entries[key] = Entry(response: response, expires: expires)
    }
}
