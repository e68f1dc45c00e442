import SpoolContract

/// Short names such as "Q1" stand for queue IDs in scheduler tests, where only identity matters.
extension QueueID: ExpressibleByStringInterpolation {
    public init(stringLiteral value: String) {
        self.init(unchecked: value)
    }
}
