// swift-tools-version:6.1
import PackageDescription

// libFuzzer targets for Backstop's parsers and SMTP session. Each one's `main` hands over to
// libFuzzer, so they only build with the fuzzer sanitizer (see scripts/hostile); their main.swift
// holds an `@main` type, hence -parse-as-library:
//   swift build -c release --package-path scripts/fuzzing --scratch-path .build/fuzz \
//       -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]
let smtpProtocol = Target.Dependency.product(name: "SMTPProtocol", package: "Backstop")
let nioCore = Target.Dependency.product(name: "NIOCore", package: "swift-nio")
// The toolchain's lld: gold mishandles `main` coming from SwiftPM's --defsym next to libFuzzer's
// archive (it stops with an internal error).
let lld: [LinkerSetting] = [.unsafeFlags(["-use-ld=lld"])]

let package = Package(
    name: "BackstopFuzzing",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Backstop", path: "../.."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .target(name: "LibFuzzerDriver"),
        // Starting libFuzzer, and what every target checks about the replies it sees.
        .target(name: "FuzzSupport", dependencies: ["LibFuzzerDriver", smtpProtocol], swiftSettings: strict),
        fuzzTarget("FuzzCommandParser", [smtpProtocol]),
        fuzzTarget("FuzzPathParser", [smtpProtocol]),
        fuzzTarget("FuzzContentDecoder", [smtpProtocol, nioCore]),
        fuzzTarget("FuzzSession", [smtpProtocol, nioCore]),
    ]
)

func fuzzTarget(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(name: name, dependencies: ["FuzzSupport"] + dependencies, swiftSettings: strict,
                      linkerSettings: lld)
}
