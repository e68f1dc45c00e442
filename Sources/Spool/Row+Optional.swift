import GRDB

extension Row {
    /// `self[index] as Value?`, minus the runtime lookup of `Optional<Value>`'s metadata that
    /// the generic subscript makes on every call: on the claim and outcome paths, which decode
    /// every queued message's row, that lookup cost more than the decoding itself.
    func optional<Value: DatabaseValueConvertible & StatementColumnConvertible>(_ index: Int) -> Value? {
        hasNull(atIndex: index) ? nil : self[index] as Value
    }
}
