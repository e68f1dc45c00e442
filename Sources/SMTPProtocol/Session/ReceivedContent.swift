/// What the handler saw of a message's content by the end of DATA or of a BDAT chunk: the
/// session machine judges it (framing, size, loop) and says whether the message goes on.
public struct ReceivedContent: Equatable, Sendable {
    /// A framing problem found on the way (bare CR or LF, NUL, an overlong line).
    public var violation: ContentViolation?
    /// Bytes of the message so far, every chunk included.
    public var size: Int
    /// `Received:` fields in the header block so far.
    public var receivedFields: Int

    public init(violation: ContentViolation?, size: Int, receivedFields: Int) {
        self.violation = violation
        self.size = size
        self.receivedFields = receivedFields
    }
}
