/// RFC 6238 §5.2: a one-time password is accepted once. Remembers, per user, the last time
/// step whose code signed them in; a code of that step or an earlier one is refused, so a code
/// seen over a shoulder or in a proxy log cannot open a second session. Kept in memory: a
/// restart forgets it, and a code then still needs the password and its 30 s step.
actor TOTPReplayGuard {
    /// One entry per user who signed in with a code; users exist only through `backstop user`.
    private var lastAcceptedStep: [String: Int64] = [:]

    /// Whether `step` is newer than the last one accepted for `user`; if so it becomes the last.
    func accept(_ step: Int64, for user: String) -> Bool {
        if let last = lastAcceptedStep[user], step <= last { return false }
        lastAcceptedStep[user] = step
        return true
    }
}
