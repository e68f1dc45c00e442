/// Finds the known name a misspelt one was probably meant to be, so that an unknown key
/// can say "did you mean max_recipients?" instead of only listing every key.
enum NearestName {
    static func to(_ name: String, among candidates: [String]) -> String? {
        // An abbreviation ("warn" for "warning") is far in edits but plainly meant.
        if name.count >= 3, let whole = candidates.first(where: { $0.hasPrefix(name.lowercased()) }) {
            return whole
        }
        let scored = candidates.map { (candidate: $0, distance: editDistance(name, $0)) }
        guard let best = scored.min(by: { $0.distance < $1.distance }) else { return nil }
        // Close enough to be the same word mistyped, not a different word: short names
        // are a letter apart from many others, so they get less slack.
        let tolerance = best.candidate.count <= 4 ? 1 : max(2, best.candidate.count / 4)
        return best.distance <= tolerance ? best.candidate : nil
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions and
    /// swaps of two neighbouring characters each cost 1, as typing slips do.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.lowercased()), b = Array(b.lowercased())
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var best = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    best = min(best, table[i - 2][j - 2] + 1)
                }
                table[i][j] = best
            }
        }
        return table[a.count][b.count]
    }
}
