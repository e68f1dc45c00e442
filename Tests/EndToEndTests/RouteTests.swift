import Foundation
import Testing

/// `[[primary.route]]` for `.example.test` and for `sub.example.test` overlap: mail for
/// `sub.example.test` belongs to the exact route only, whichever route worker polls first.
@Suite("Overlapping routes", .timeLimit(.minutes(2)))
struct RouteTests {
    @Test("each recipient goes to its most specific route: exact domain, then the longest .parent, then [primary] hosts")
    func mostSpecificRouteDelivers() async throws {
        try await withTestDirectory { directory in
            let primary = try FakePrimary(in: directory, name: "primary")
            let parent = try FakePrimary(in: directory, name: "parent")
            let sub = try FakePrimary(in: directory, name: "sub")
            for host in [primary, parent, sub] { try await host.start() }
            var options = BackstopOptions.forwarding(to: primary.address, primary: [
                "", "[[primary.route]]", "domain = \".example.test\"", "hosts = [\"\(parent.address)\"]",
                "", "[[primary.route]]", "domain = \"sub.example.test\"", "hosts = [\"\(sub.address)\"]",
            ])
            options.relayDomains = ["example.test", ".example.test"]
            try await withBackstop(options, in: directory) { server in
                for host in [primary, parent, sub] { try await server.waitForTransition(of: host.address, to: "up") }
                let mails = (0..<20).map { index in
                    TestMail("route", index, to: ["x\(index)@sub.example.test", "y\(index)@www.example.test",
                                                 "z\(index)@example.test"])
                }
                try await send(mails, to: server.port)
                try await waitForEmptySpool(at: server.spoolPath, within: .seconds(30))
                func received(_ host: FakePrimary) throws -> Set<String> {
                    Set(try host.messages().flatMap(\.rcptTo).map { $0.lowercased() })
                }
                #expect(try received(sub) == Set((0..<20).map { "x\($0)@sub.example.test" }))
                #expect(try received(parent) == Set((0..<20).map { "y\($0)@www.example.test" }))
                #expect(try received(primary) == Set((0..<20).map { "z\($0)@example.test" }))
            }
            for host in [primary, parent, sub] { await host.stop() }
        }
    }
}
