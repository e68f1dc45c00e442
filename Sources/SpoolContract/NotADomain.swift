/// What an operator gave `route pause|resume` cannot be a recipient domain.
public struct NotADomain: Error, Sendable, Equatable, CustomStringConvertible {
    public var text: String

    package init(text: String) {
        self.text = text
    }

    public var description: String {
        "\"\(text)\" is not a domain; write e.g. example.org, or .example.org for its subdomains"
    }
}
