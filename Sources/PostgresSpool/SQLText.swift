import PostgresNIO

/// A statement assembled from fixed SQL and bound values, for the queries whose shape depends on
/// the input (a scope's list of domains, an operator's filter). Values are always parameters
/// (`$n`); only the SQL written here is ever text.
struct SQLText: Sendable {
    private(set) var sql = ""
    private(set) var binds = PostgresBindings()

    init(_ sql: String = "") {
        self.sql = sql
    }

    /// Appends fixed SQL.
    mutating func add(_ fragment: String) {
        sql += fragment
    }

    /// Binds `value` and returns its placeholder, for use in the SQL appended next.
    mutating func bind(_ value: some PostgresDynamicTypeEncodable) -> String {
        binds.append(value)
        return "$\(binds.count)"
    }

    mutating func bind(_ value: (some PostgresDynamicTypeEncodable)?) -> String {
        binds.append(value)
        return "$\(binds.count)"
    }

    var query: PostgresQuery {
        PostgresQuery(unsafeSQL: sql, binds: binds)
    }
}
