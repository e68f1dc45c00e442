import GRDB
import SpoolContract

/// The one policy by which the spool writes a batch (arriving messages, delivery attempts):
/// one transaction, each member inside its own savepoint, one COMMIT and one fsync for all.
///
/// - A member that throws fails alone, but the whole transaction is rolled back with it and
///   the survivors are written again in a new one: after an error SQLite may have rolled back
///   the statement, the savepoint or the transaction, and a transaction that saw an error is
///   never committed, so no member can ever commit half-written.
/// - When the transaction fails with no member to blame (the prologue, the commit hook or
///   COMMIT itself), each member is written again alone, so that one bad member cannot fail
///   the others. BEGIN failing (the database is busy) fails them all at once: alone they
///   would only wait for the same lock one after another.
struct SavepointBatch<Member, Output> {
    /// What a member's writer decided for its savepoint.
    enum Disposition {
        /// Keep what it wrote.
        case keep(Output)
        /// Roll its savepoint back without an error (a duplicate that is acknowledged, not stored).
        case discard(Output)
    }

    let db: Database
    /// Runs first in every transaction, with the members that transaction writes.
    var prologue: ([Member], Database) throws -> Void = { _, _ in }
    /// Runs last in every transaction, just before COMMIT (tests make it fail).
    var beforeCommit: ((Database) throws -> Void)?
    let write: (Member, Database) throws -> Disposition

    /// One result per member, in order; a success only once its transaction committed.
    /// `onCommit` is told how many members each committed transaction held.
    func run(_ members: [Member], onCommit: (Int) -> Void = { _ in }) -> [Result<Output, any Error>] {
        var results = [Result<Output, any Error>?](repeating: nil, count: members.count)
        var remaining = Array(members.indices)
        while !remaining.isEmpty {
            switch attempt(remaining.map { members[$0] }) {
            case .committed(let outputs):
                onCommit(outputs.count)
                for (index, output) in zip(remaining, outputs) { results[index] = .success(output) }
                remaining = []
            case .memberFailed(let position, let error):
                results[remaining[position]] = .failure(error)
                remaining.remove(at: position)
            case .transactionFailed(let error, let begun):
                if begun, remaining.count > 1 {
                    for index in remaining { results[index] = run([members[index]], onCommit: onCommit)[0] }
                } else {
                    for index in remaining { results[index] = .failure(error) }
                }
                remaining = []
            }
        }
        return results.map { $0 ?? .failure(SpoolError.other("not written")) }
    }

    private enum Attempt {
        case committed([Output])
        case memberFailed(position: Int, error: any Error)
        case transactionFailed(any Error, begun: Bool)
    }

    private func attempt(_ batch: [Member]) -> Attempt {
        var outputs: [Output] = []
        var failedMember: (position: Int, error: any Error)?
        var begun = false
        do {
            try db.inTransaction(.immediate) {
                begun = true
                try prologue(batch, db)
                for (position, member) in batch.enumerated() {
                    do {
                        outputs.append(try writeInSavepoint(member))
                    } catch {
                        failedMember = (position, error)
                        return .rollback
                    }
                }
                try beforeCommit?(db)
                return .commit
            }
        } catch {
            if let failedMember { return .memberFailed(position: failedMember.position, error: failedMember.error) }
            return .transactionFailed(error, begun: begun)
        }
        if let failedMember { return .memberFailed(position: failedMember.position, error: failedMember.error) }
        return .committed(outputs)
    }

    /// The member inside its own savepoint, by statements prepared once per connection
    /// (`Database.inSavepoint` prepares them again for every member). After an error the
    /// caller rolls the whole transaction back, which ends the savepoint with it.
    private func writeInSavepoint(_ member: Member) throws -> Output {
        try db.cachedStatement(sql: "SAVEPOINT batch_member").execute()
        let output: Output
        switch try write(member, db) {
        case .keep(let kept):
            output = kept
        case .discard(let discarded):
            try db.cachedStatement(sql: "ROLLBACK TRANSACTION TO SAVEPOINT batch_member").execute()
            output = discarded
        }
        try db.cachedStatement(sql: "RELEASE SAVEPOINT batch_member").execute()
        return output
    }
}
