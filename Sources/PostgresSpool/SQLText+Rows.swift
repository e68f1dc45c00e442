extension SQLText {
    /// Values past which a statement is cut in two: the protocol counts parameters in 16 bits.
    static let maxParameters = 30_000

    /// Appends rows for a `VALUES` list, `(…), (…)`, one per element: `values` binds the
    /// element's values and returns their placeholders, in the columns' order.
    mutating func addRows<Element>(_ elements: some Sequence<Element>, _ values: (inout SQLText, Element) -> [String]) {
        var separator = ""
        for element in elements {
            let placeholders = values(&self, element)
            add(separator + "(" + placeholders.joined(separator: ", ") + ")")
            separator = ", "
        }
    }
}
