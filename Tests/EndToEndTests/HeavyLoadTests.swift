import Testing

/// The suites that load both cores for a minute or more (a flood, kills under load, a disk that
/// fills up, clients that never read) run one after another, never beside each other: each
/// checks what Backstop does under its own load, which a second such load would distort. The
/// other suites still run beside them.
@Suite(.serialized) enum HeavyLoadTests {}
