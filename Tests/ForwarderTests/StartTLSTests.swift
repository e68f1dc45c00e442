import Forwarder
import Foundation
import SMTPProtocol
import SpoolContract
import Testing

@Suite("STARTTLS with a real handshake")
struct StartTLSTests {
    let body = "Subject: x\r\n\r\nbody\r\n"

    private func primary() async throws -> FakePrimary {
        var script = FakePrimary.Script()
        script.startTLS = true
        script.tls = try TestCertificate.serverContext()
        return try await FakePrimary.start(script)
    }

    @Test func verifiedTLSDeliversAndAsksEHLOAgain() async throws {
        let primary = try await primary()
        defer { Task { await primary.stop() } }
        let caFile = try TestCertificate.writeCAFile()
        defer { try? FileManager.default.removeItem(atPath: caFile) }
        let session = try await Fixtures.client(tls: .verify(caFile: caFile)).connect(to: PrimaryHost(name: "localhost", port: primary.port))
        #expect(session.isSecure)
        let result = await session.deliver(Fixtures.job(content: body), content: Fixtures.reader(body))
        await session.quit()
        #expect(result.outcomes.first?.disposition.isFinal == true)
        let record = primary.recorded
        #expect(record.tlsSessions == 1)
        #expect(record.commands.filter { $0.hasPrefix("EHLO") }.count == 2)
        #expect(record.transactions.map(\.content) == [Array(body.utf8)])
    }

    @Test func untrustedCertificateIsADeferralNotADowngrade() async throws {
        let primary = try await primary()
        defer { Task { await primary.stop() } }
        let failure = await failure(try Fixtures.client(tls: .verify(caFile: nil)), PrimaryHost(name: "localhost", port: primary.port))
        guard case .tlsFailed(let why) = failure else {
            Issue.record("expected a TLS failure, got \(String(describing: failure))")
            return
        }
        #expect(why.contains("did not verify"))
        #expect(RecipientDisposition(.connection(failure!), remoteHost: nil).isFinal == false)
        #expect(primary.recorded.connections == 1)
        #expect(primary.recorded.transactions.isEmpty)
    }

    @Test func certificateForAnotherNameFailsVerification() async throws {
        let primary = try await primary()
        defer { Task { await primary.stop() } }
        let caFile = try TestCertificate.writeCAFile()
        defer { try? FileManager.default.removeItem(atPath: caFile) }
        let failure = await failure(try Fixtures.client(tls: .verify(caFile: caFile)), Fixtures.local(primary.port))
        guard case .tlsFailed(let why) = failure else {
            Issue.record("expected a TLS failure, got \(String(describing: failure))")
            return
        }
        #expect(why.contains("does not match its host name"))
        #expect(primary.recorded.transactions.isEmpty)
    }

    @Test func unreadableCAFileStopsTheStart() {
        #expect(throws: (any Error).self) {
            try Fixtures.client(tls: .verify(caFile: "/nonexistent/ca.pem"))
        }
    }

    private func failure(_ client: SMTPClient, _ host: PrimaryHost) async -> ConnectionFailure? {
        do {
            let session = try await client.connect(to: host)
            await session.quit()
            return nil
        } catch {
            return error
        }
    }
}
