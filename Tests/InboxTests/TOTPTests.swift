import Foundation
import Testing
@testable import Inbox

@Suite struct TOTPTests {
    /// RFC 6238 Appendix B, the SHA-1 rows: the ASCII key "12345678901234567890", eight digits.
    @Test(arguments: [
        (59.0, "94287082"), (1_111_111_109, "07081804"), (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"), (2_000_000_000, "69279037"), (20_000_000_000, "65353130"),
    ])
    func rfc6238Vectors(seconds: Double, expected: String) {
        let secret = Array("12345678901234567890".utf8)
        #expect(TOTP.code(secret: secret, at: Date(timeIntervalSince1970: seconds), digits: 8) == expected)
    }

    @Test func verifyAcceptsTheCurrentAndAdjacentStepOnly() {
        let secret = Array("12345678901234567890".utf8)
        let now = Date(timeIntervalSince1970: 1_111_111_111)
        let current = TOTP.code(secret: secret, at: now, digits: 6)
        #expect(current == "050471")
        #expect(TOTP.verify(current, secret: secret, at: now, drift: 1))
        #expect(TOTP.verify(current, secret: secret, at: now.addingTimeInterval(30), drift: 1))
        #expect(!TOTP.verify(current, secret: secret, at: now.addingTimeInterval(90), drift: 1))
        #expect(!TOTP.verify("05047", secret: secret, at: now, drift: 1))
        #expect(!TOTP.verify("０50471", secret: secret, at: now, drift: 1))
    }

    @Test func matchedStepNamesTheStepOfTheCode() {
        let secret = Array("12345678901234567890".utf8)
        let now = Date(timeIntervalSince1970: 1_111_111_111)
        let step = Int64(1_111_111_111 / 30)
        let current = TOTP.code(secret: secret, at: now, digits: 6)
        #expect(TOTP.matchedStep(current, secret: secret, at: now, drift: 1) == step)
        #expect(TOTP.matchedStep(current, secret: secret, at: now.addingTimeInterval(30), drift: 1) == step)
        #expect(TOTP.matchedStep(current, secret: secret, at: now.addingTimeInterval(90), drift: 1) == nil)
    }

    @Test func aCodeIsAcceptedOncePerUserAndStep() async {
        let replay = TOTPReplayGuard()
        #expect(await replay.accept(100, for: "ann@example.test"))
        #expect(await !replay.accept(100, for: "ann@example.test"), "the same step again is a replay")
        #expect(await !replay.accept(99, for: "ann@example.test"), "an older step after a newer one is a replay too")
        #expect(await replay.accept(100, for: "bob@example.test"), "another user's step is their own")
        #expect(await replay.accept(101, for: "ann@example.test"))
    }

    /// RFC 4648 §10 test vectors, without padding.
    @Test(arguments: [("", ""), ("f", "MY"), ("fo", "MZXQ"), ("foo", "MZXW6"), ("foob", "MZXW6YQ"),
                      ("fooba", "MZXW6YTB"), ("foobar", "MZXW6YTBOI")])
    func base32(input: String, expected: String) {
        #expect(TOTP.base32(Array(input.utf8)) == expected)
    }

    @Test func provisioningURINamesIssuerAccountAndSecret() {
        let uri = TOTP.provisioningURI(secret: Array("12345678901234567890".utf8), account: "ann@example.org",
                                       issuer: "Backstop mx2")
        #expect(uri == "otpauth://totp/Backstop%20mx2%3Aann@example.org?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
            + "&issuer=Backstop%20mx2&algorithm=SHA1&digits=6&period=30")
    }
}
