import TOMLKit

/// How one kind of value is read from TOML and written back. Each reader checks the TOML
/// type, the grammar and the bounds, and says in its error what to write instead.
struct ValueSyntax<Value> {
    let read: (TOMLValueConvertible) throws(ValueError) -> Value
    let render: (Value) -> String
}

extension ValueSyntax where Value == Int {
    /// A count or a size in bytes. Sizes take no unit suffix: bytes are unambiguous.
    static func integer(atLeast lower: Int, atMost upper: Int = .max) -> Self {
        Self(
            read: { value throws(ValueError) in
                guard let number = value.int else { throw ValueError("expected an integer, \(value.found)") }
                guard number >= lower, number <= upper else {
                    throw ValueError(upper == .max
                        ? "must be at least \(lower) (found \(number))"
                        : "must be between \(lower) and \(upper) (found \(number))")
                }
                return number
            },
            render: tomlInteger)
    }
}

extension ValueSyntax where Value == Duration {
    static func duration(atLeast lower: Duration) -> Self {
        Self(
            read: { value throws(ValueError) in
                guard let text = value.string else {
                    let hint = value.int.map { "; add a unit, e.g. \"\($0)s\"" } ?? ""
                    throw ValueError("expected a duration such as \"5m\", \(value.found)\(hint)")
                }
                let duration = try DurationSyntax.parse(text)
                guard duration >= lower else {
                    throw ValueError("must be at least \(DurationSyntax.render(lower)) (found \(quoted(text)))")
                }
                return duration
            },
            render: { quoted(DurationSyntax.render($0)) })
    }
}

extension ValueSyntax where Value == Bool {
    static var boolean: Self {
        Self(
            read: { value throws(ValueError) in
                guard let flag = value.bool else {
                    let hint = value.string.flatMap { ["true", "false"].contains($0.lowercased()) ? "; remove the quotes" : nil } ?? ""
                    throw ValueError("expected true or false, \(value.found)\(hint)")
                }
                return flag
            },
            render: { String($0) })
    }
}

extension ValueSyntax {
    /// A value written as a string, such as `"mx1.example.org:25"`, that `parse` checks.
    static func string(_ parse: @escaping (String) throws(ValueError) -> Value, render: @escaping (Value) -> String) -> Self {
        Self(
            read: { value throws(ValueError) in
                guard let text = value.string else { throw ValueError("expected a string, \(value.found)") }
                return try parse(text)
            },
            render: { quoted(render($0)) })
    }
}

extension ValueSyntax where Value == MailHost {
    static var mailHost: Self { .string(MailHost.parse, render: \.description) }
}

extension ValueSyntax where Value == String {
    /// A string that `validate` checks and may normalise (lowercase, for names).
    static func text(_ validate: @escaping (String) throws(ValueError) -> String) -> Self {
        .string(validate, render: { $0 })
    }

    /// A file path; relative paths are taken from the working directory.
    static var path: Self {
        text { path throws(ValueError) in
            guard !path.isEmpty else { throw ValueError("empty path; write a file path or remove the key") }
            return path
        }
    }

    static var hostname: Self { text { name throws(ValueError) in try DomainName.validate(name) } }
}

extension ValueSyntax where Value: RawRepresentable & CaseIterable, Value.RawValue == String {
    /// One word out of a fixed set, such as a log level.
    static var choice: Self {
        let names = Value.allCases.map(\.rawValue)
        return Self(
            read: { value throws(ValueError) in
                guard let text = value.string else { throw ValueError("expected a string, \(value.found)") }
                if let choice = Value(rawValue: text) { return choice }
                let suggestion = NearestName.to(text, among: names).map { " (did you mean \($0)?)" } ?? ""
                throw ValueError("\(quoted(text)) is not one of \(names.joined(separator: ", "))\(suggestion)")
            },
            render: { quoted($0.rawValue) })
    }
}

extension ValueSyntax {
    /// An array of strings, each read by `item`, none listed twice, and not empty unless
    /// `allowsEmpty`. `example` is shown when the operator wrote something else than an array.
    static func list<Item: Equatable>(
        example: String,
        allowsEmpty: Bool = false,
        item: @escaping (String) throws(ValueError) -> Item,
        render renderItem: @escaping (Item) -> String
    ) -> Self where Value == [Item] {
        Self(
            read: { value throws(ValueError) in
                guard let array = value.array else {
                    let hint = value.string.map { "; put it in brackets: [\(quoted($0))]" } ?? ""
                    throw ValueError("expected an array such as [\(quoted(example))], \(value.found)\(hint)")
                }
                guard allowsEmpty || !array.isEmpty else {
                    throw ValueError("empty; list at least one, e.g. [\(quoted(example))]")
                }
                var items: [Item] = []
                for (index, element) in array.enumerated() {
                    guard let text = element.string else {
                        throw ValueError("item \(index + 1): expected a string, \(element.found)")
                    }
                    let parsed = try item(text)
                    guard !items.contains(parsed) else {
                        throw ValueError("\(quoted(text)) is listed twice")
                    }
                    items.append(parsed)
                }
                return items
            },
            render: { tomlArray($0.map(renderItem)) })
    }
}

extension ValueSyntax where Value == [MailHost] {
    static func mailHosts(allowsEmpty: Bool = false) -> Self {
        .list(example: "mx1.example.org:25", allowsEmpty: allowsEmpty, item: MailHost.parse, render: \.description)
    }
}
