/// Names a delivery route: the default primary, or a per-domain override.
public struct RouteID: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String

    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public static let defaultRoute = RouteID("default")

    /// DSNs go out through this route: `[bounce] relay`, or the sender domain's MX.
    public static let bounce = RouteID("bounce")

    public var description: String { rawValue }
}

