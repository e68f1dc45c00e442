import Operations

/// Columns aligned for people: every column as wide as its widest cell, two spaces apart,
/// numbers right-aligned, and the last column never padded (so lines carry no trailing blanks).
struct TextTable {
    enum Alignment {
        case left
        case right
    }

    struct Column {
        var title: String
        var alignment: Alignment = .left
    }

    var columns: [Column]
    var rows: [[String]] = []

    init(_ columns: [Column]) {
        self.columns = columns
    }

    /// Cells come from the spool and from clients: controls and bidi marks are shown escaped.
    mutating func append(_ row: [String]) {
        precondition(row.count == columns.count, "a row has one cell per column")
        rows.append(row.map { TerminalSafety.escaped($0) })
    }

    var rendered: String {
        let lines = [columns.map(\.title)] + rows
        let widths = columns.indices.map { column in lines.map { $0[column].count }.max() ?? 0 }
        return lines.map { cells in
            var line = ""
            for (index, cell) in cells.enumerated() {
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                let isLast = index == cells.count - 1
                switch columns[index].alignment {
                case .left: line += isLast ? cell : cell + padding
                case .right: line += padding + cell
                }
                if !isLast { line += "  " }
            }
            return line
        }.joined(separator: "\n") + "\n"
    }
}
