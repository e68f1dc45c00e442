import TOMLKit

/// An array of tables such as `[[primary.route]]`: each table is read by its own keys, as a
/// section is, into an item that starts as `blank`.
///
///     [[primary.route]]
///     domain = "example.org"
///     hosts = ["mx1.example.org:25"]
struct TableList<Item> {
    /// The dotted name in the header, e.g. "primary.route".
    let header: String
    let blank: Item
    let keys: [ConfigKey<Item>]
    /// Keys every table must give; the others keep their value from `blank`.
    let required: [String]

    func read(_ value: TOMLValueConvertible) throws(ValueError) -> [Item] {
        guard let array = value.array else {
            let hint = value.type == .table ? "; write [[\(header)]], with double brackets, before each one" : ""
            throw ValueError("expected [[\(header)]] tables, \(value.found)\(hint)")
        }
        var items: [Item] = []
        for (index, element) in array.enumerated() {
            do throws(ValueError) {
                items.append(try readItem(element))
            } catch {
                throw ValueError("item \(index + 1): \(error.problem)")
            }
        }
        return items
    }

    func render(_ items: [Item]) -> [String] {
        guard !items.isEmpty else { return ["# [[\(header)]] is not set"] }
        return items.flatMap { item in ["", "[[\(header)]]"] + keys.flatMap { $0.render(item) } }
    }

    private func readItem(_ value: TOMLValueConvertible) throws(ValueError) -> Item {
        let names = keys.map(\.name)
        guard let table = value.table else {
            throw ValueError("expected a table with \(names.joined(separator: " and ")), \(value.found)")
        }
        for key in table.keys where !names.contains(key) {
            let hint = NearestName.to(key, among: names).map { "did you mean \($0)?" }
                ?? "known: \(names.joined(separator: ", "))"
            throw ValueError("\(key): unknown key (\(hint))")
        }
        var item = blank
        for key in keys {
            guard let element = table[key.name] else {
                guard !required.contains(key.name) else {
                    throw ValueError("\(key.name): missing; each [[\(header)]] needs \(required.joined(separator: " and "))")
                }
                continue
            }
            do throws(ValueError) {
                try key.read(element, &item)
            } catch {
                throw ValueError("\(key.name): \(error.problem)")
            }
        }
        return item
    }
}
