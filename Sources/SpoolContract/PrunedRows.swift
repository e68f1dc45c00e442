/// What one pruning pass removed.
public struct PrunedRows: Sendable, Equatable {
    public var deliveryLog = 0
    public var healthTransitions = 0
    public var recipientVerdicts = 0
    public var greylistTriples = 0

    public init(deliveryLog: Int = 0, healthTransitions: Int = 0, recipientVerdicts: Int = 0, greylistTriples: Int = 0) {
        self.greylistTriples = greylistTriples
        self.deliveryLog = deliveryLog
        self.healthTransitions = healthTransitions
        self.recipientVerdicts = recipientVerdicts
    }
}
