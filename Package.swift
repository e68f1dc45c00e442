// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "Backstop",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "backstop", targets: ["backstop"]),
        // For the libFuzzer targets in scripts/fuzzing, a package of their own.
        .library(name: "SMTPProtocol", targets: ["SMTPProtocol"]),
        .library(name: "Listener", targets: ["Listener"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // Unicode rules for addresses and domain names (IDNA A-labels, Punycode, which scalars
        // a mailbox may hold). Pure Swift, no dependencies: every module that decides on an
        // address uses it.
        .target(name: "MailNames", swiftSettings: strict),
        // `Locked`, the one lock type: a pthread mutex that Thread Sanitizer understands.
        .target(name: "BackstopSync", swiftSettings: strict),
        // Every default value and fixed tunable, written once. No dependencies: every module reads it.
        .target(name: "BackstopDefaults", swiftSettings: strict),
        // The mail vocabulary every module shares: the RFC 6152 body type, the RFC 3461 DSN
        // parameters, SMTP replies with RFC 3463 status codes, a recipient's diagnosis. No dependencies.
        .target(name: "MailCore", swiftSettings: strict),
        // Pure SMTP: grammar, replies, framing. NIOCore (for ByteBuffer) and the default limits only.
        .target(
            name: "SMTPProtocol",
            dependencies: ["BackstopDefaults", "MailCore", "MailNames", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strict),
        // The spool's roles as protocols (intake, delivery ledger, operator changes and views,
        // recipient verdicts, health history) and the values they carry. No storage engine:
        // the forwarder and the listener depend on this, not on a backend.
        .target(name: "SpoolContract", dependencies: ["MailCore", "MailNames"], swiftSettings: strict),
        // The durable queue. SQLite through GRDB; never imports NIO.
        .target(
            name: "Spool",
            dependencies: [
                "BackstopDefaults", "BackstopSync", "MailCore", "MailNames", "SpoolContract",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                // SHA-256 of message content, for duplicate suppression.
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict),
        // The shared queue: the same roles as `Spool`, kept in PostgreSQL so several nodes can
        // serve one queue. Talks to the server through postgres-nio; its NIO types stay inside.
        .target(
            name: "PostgresSpool",
            dependencies: [
                "BackstopDefaults", "BackstopSync", "MailCore", "MailNames", "SpoolContract",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                // SHA-256 of message content, for duplicate suppression.
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict),
        // The configuration model, its TOML reader and its defaults.
        .target(
            name: "BackstopConfig",
            dependencies: ["BackstopDefaults", "MailNames", "TOMLKit"],
            swiftSettings: strict),
        // The SMTP server: sessions, STARTTLS, relay policy, limits.
        .target(
            name: "Listener",
            dependencies: [
                "BackstopDefaults", "BackstopSync", "MailCore", "MailNames", "SMTPProtocol", "Spool", "SpoolContract",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        // The system resolver (libresolv) for DSNs to the sender domain's MX. C because its API
        // is macros and by-value structs; the blocking calls run on a thread pool.
        .target(name: "CResolv", linkerSettings: [.linkedLibrary("resolv")]),
        // The way back to the primary: SMTP client, health monitor, replay scheduler, DSNs.
        .target(
            name: "Forwarder",
            dependencies: [
                "BackstopDefaults", "BackstopSync", "MailCore", "MailNames", "SMTPProtocol", "SpoolContract", "CResolv",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict),
        // Service wiring: config to services, logging, signals.
        .target(
            name: "Operations",
            dependencies: [
                "BackstopDefaults", "BackstopSync", "BackstopConfig", "Listener", "Forwarder", "MailCore", "MailNames", "Spool", "SpoolContract",
                "SMTPProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "backstop",
            dependencies: [
                "Operations", "BackstopConfig", "MailCore", "MailNames", "Spool", "SpoolContract",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),

        .testTarget(name: "SMTPProtocolTests", dependencies: ["SMTPProtocol", "MailCore", "MailNames"], swiftSettings: strict),
        .testTarget(
            name: "SpoolTests",
            dependencies: [
                "BackstopDefaults", "BackstopSync", "MailCore", "Spool", "SpoolContract", "PostgresSpool",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "ForwarderTests",
            dependencies: [
                "BackstopDefaults", "BackstopSync", "Forwarder", "MailCore", "SMTPProtocol", "SpoolContract",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "BackstopConfigTests", dependencies: ["BackstopConfig", "BackstopDefaults", "MailNames"],
            swiftSettings: strict),
        .testTarget(
            name: "ListenerTests",
            dependencies: [
                "BackstopDefaults", "BackstopSync", "Listener", "MailCore", "MailNames", "SMTPProtocol", "Spool", "SpoolContract",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "OperationsTests",
            dependencies: [
                "BackstopDefaults", "BackstopSync", "Operations", "BackstopConfig", "Forwarder", "Spool", "SpoolContract",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict),
        // Runs the real `backstop` binary against real peers (Python smtplib, swaks, openssl).
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["MailCore", "Spool", "SpoolContract", .product(name: "Logging", package: "swift-log")],
            exclude: ["Peers"],
            swiftSettings: strict),
    ]
)
