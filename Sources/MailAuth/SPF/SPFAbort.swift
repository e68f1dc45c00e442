/// Why evaluation stopped early: the two error results of RFC 7208 §2.6.
enum SPFAbort: Error, Equatable {
    case temperror(String)
    case permerror(String)
}
