import TOMLKit

/// Everything `backstop serve` runs on, read from a TOML file such as
/// config/backstop.toml. Keys left out of the file keep their `embeddedDefaults` value;
/// unknown keys and sections, wrong types and out-of-range values are errors, so that a
/// typo never silently falls back to a default.
public struct BackstopConfiguration: Equatable, Sendable {
    public var server: ServerSettings
    public var tls: TLSSettings
    public var relay: RelaySettings
    public var spool: SpoolSettings
    public var primary: PrimarySettings
    public var bounce: BounceSettings
    public var auth: AuthSettings
    public var arc: ARCSettings
    public var admin: AdminSettings
    public var inbox: InboxSettings
    public var notify: NotifySettings
    public var log: LogSettings
    public var dns: DNSSettings
    public var reputation: ReputationSettings
    public var limits: LimitsSettings
    public var filter: FilterSettings
    public var greylist: GreylistSettings
    public var cluster: ClusterSettings

    /// The sections of the file, in file order. A new section is a settings type with a
    /// `ConfigSection`, a property above, its defaults, and one line here.
    static var sections: [SectionBinding] {
        [
            SectionBinding(ServerSettings.section, at: \.server),
            SectionBinding(TLSSettings.section, at: \.tls),
            SectionBinding(RelaySettings.section, at: \.relay),
            SectionBinding(SpoolSettings.section, at: \.spool),
            SectionBinding(PrimarySettings.section, at: \.primary),
            SectionBinding(BounceSettings.section, at: \.bounce),
            SectionBinding(AuthSettings.section, at: \.auth),
            SectionBinding(ARCSettings.section, at: \.arc),
            SectionBinding(AdminSettings.section, at: \.admin),
            SectionBinding(InboxSettings.section, at: \.inbox),
            SectionBinding(NotifySettings.section, at: \.notify),
            SectionBinding(LogSettings.section, at: \.log),
            SectionBinding(DNSSettings.section, at: \.dns),
            SectionBinding(ReputationSettings.section, at: \.reputation),
            SectionBinding(LimitsSettings.section, at: \.limits),
            SectionBinding(FilterSettings.section, at: \.filter),
            SectionBinding(GreylistSettings.section, at: \.greylist),
            SectionBinding(ClusterSettings.section, at: \.cluster),
        ]
    }

    /// Reads, parses and validates the file at `file`, including the files it names
    /// (TLS certificate and key, recipients file, CA file).
    public static func load(file: String) throws(ConfigError) -> BackstopConfiguration {
        let text: String
        do throws(ValueError) {
            text = try TextFile.contents(of: file)
        } catch {
            throw ConfigError(file: file, location: .file, problem: "cannot read file: \(error.problem)")
        }
        return try parse(toml: text, file: file)
    }

    /// Parses and validates `toml`; `file` names it in errors. Files the configuration
    /// names are checked too, relative to the working directory.
    public static func parse(toml: String, file: String) throws(ConfigError) -> BackstopConfiguration {
        try ConfigReader(file: file).read(toml)
    }

    /// The effective configuration as TOML, every key in file order, for
    /// `backstop check-config`. Unset optional keys appear as comments.
    public func rendered() -> String {
        Self.sections.map { $0.render(self).joined(separator: "\n") }.joined(separator: "\n\n") + "\n"
    }
}
