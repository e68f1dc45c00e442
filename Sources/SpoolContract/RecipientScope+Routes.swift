extension RecipientScope {
    /// The route domains that take some of `domain`'s recipients away from it: for `.parent`,
    /// every other route inside parent (an exact subdomain, or a longer `.parent`); none for an
    /// exact domain, which is the most specific there is. Compared as UTF-8 bytes.
    package static func moreSpecificRoutes(than domain: String, among routes: [String]) -> [String] {
        guard domain.utf8.first == UInt8(ascii: ".") else { return [] }
        let suffix = Array(domain.utf8)
        return Set(routes.map { $0.lowercased() }).sorted().filter { other in
            let bytes = Array(other.utf8)
            return bytes.count > suffix.count && bytes.suffix(suffix.count).elementsEqual(suffix)
        }
    }
}
