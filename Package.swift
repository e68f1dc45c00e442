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
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        // Hummingbird's header names; declared for the security headers it has no constant for.
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // HTTP(S) client for the content filter (rspamd) and webhooks.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
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
                .product(name: "NIOCore", package: "swift-nio"),
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
                "BackstopDefaults", "BackstopSync", "MailAuth", "MailCore", "MailDNS", "MailNames", "SMTPProtocol", "Spool", "SpoolContract",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        // libresolv, for every DNS lookup. C because its API is macros and by-value structs.
        .target(name: "CResolv", linkerSettings: [.linkedLibrary("resolv")]),
        // The one resolver: libresolv on threads of its own, the configured servers, a cache
        // that honours TTLs. MX routing of DSNs and the listener's DNS lists ask through it.
        .target(
            name: "MailDNS",
            dependencies: ["BackstopDefaults", "BackstopSync", "CResolv", .product(name: "NIOPosix", package: "swift-nio")],
            swiftSettings: strict),
        // The way back to the primary: SMTP client, health monitor, replay scheduler, DSNs.
        .target(
            name: "Forwarder",
            dependencies: [
                "BackstopDefaults", "BackstopSync", "MailCore", "MailDNS", "MailNames", "SMTPProtocol", "SpoolContract",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict),
        // Mail authentication as a pure library: SPF (RFC 7208), DKIM (RFC 6376, RFC 8463),
        // DMARC (RFC 7489), Authentication-Results (RFC 8601), ARC (RFC 8617). DNS through its
        // own small protocol; RSA and Ed25519 from swift-crypto.
        .target(
            name: "MailAuth",
            dependencies: [
                "MailNames",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strict),
        // The emergency inbox: an HTTPS web app where users read their held mail while the
        // primary is down. Hummingbird for routing, forms and cookies; bcrypt from hummingbird-auth.
        .target(
            name: "Inbox",
            dependencies: [
                "BackstopDefaults", "SpoolContract",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        // Service wiring: config to services, logging, signals.
        .target(
            name: "Operations",
            dependencies: [
                "BackstopDefaults", "BackstopSync", "BackstopConfig", "Listener", "Forwarder", "Inbox", "MailAuth", "MailCore", "MailDNS",
                "MailNames", "PostgresSpool", "Spool", "SpoolContract", "SMTPProtocol",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "backstop",
            dependencies: [
                "Operations", "BackstopConfig", "BackstopDefaults", "Inbox", "MailCore", "MailNames", "Spool", "SpoolContract",
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
                "BackstopDefaults", "BackstopSync", "Forwarder", "MailCore", "MailDNS", "SMTPProtocol", "SpoolContract",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        // The resolver against the tests' own authoritative DNS server on loopback.
        .testTarget(
            name: "MailDNSTests", dependencies: ["BackstopDefaults", "BackstopSync", "MailDNS"], swiftSettings: strict),
        .testTarget(
            name: "BackstopConfigTests", dependencies: ["BackstopConfig", "BackstopDefaults", "MailNames"],
            swiftSettings: strict),
        .testTarget(
            name: "ListenerTests",
            dependencies: [
                "BackstopDefaults", "BackstopSync", "Listener", "MailAuth", "MailCore", "MailDNS", "MailNames", "SMTPProtocol", "Spool", "SpoolContract",
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
                "BackstopDefaults", "BackstopSync", "Operations", "BackstopConfig", "Forwarder", "Listener", "MailAuth", "MailDNS",
                "SMTPProtocol", "Spool", "SpoolContract",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "InboxTests",
            dependencies: ["Inbox", "SpoolContract"],
            swiftSettings: strict),
        .testTarget(
            name: "MailAuthTests",
            dependencies: [
                "MailAuth", "MailNames",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            exclude: ["Peers"],
            swiftSettings: strict),
        // Runs the real `backstop` binary against real peers (Python smtplib, swaks, openssl).
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["MailCore", "Spool", "SpoolContract", .product(name: "Logging", package: "swift-log")],
            exclude: ["Peers"],
            swiftSettings: strict),
    ]
)
