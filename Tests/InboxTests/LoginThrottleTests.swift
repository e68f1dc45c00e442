import Foundation
import Testing
@testable import Inbox

@Suite struct LoginThrottleTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func fiveFailuresWithinTheWindowBlockForTheBlockTime() async {
        let throttle = LoginThrottle(limit: 5, window: .seconds(900), block: .seconds(900), capacity: 100)
        for minute in 0..<4 { await throttle.recordFailure(["user:a"], now: start.addingTimeInterval(Double(minute) * 60)) }
        #expect(await !throttle.isBlocked(["user:a"], now: start.addingTimeInterval(300)))
        await throttle.recordFailure(["user:a"], now: start.addingTimeInterval(300))
        #expect(await throttle.isBlocked(["user:a", "client:x"], now: start.addingTimeInterval(301)))
        #expect(await throttle.isBlocked(["user:a"], now: start.addingTimeInterval(300 + 899)))
        #expect(await !throttle.isBlocked(["user:a"], now: start.addingTimeInterval(300 + 900)))
        #expect(await !throttle.isBlocked(["user:b"], now: start.addingTimeInterval(301)))
    }

    @Test func failuresOutsideTheWindowDoNotCount() async {
        let throttle = LoginThrottle(limit: 5, window: .seconds(900), block: .seconds(900), capacity: 100)
        for index in 0..<5 { await throttle.recordFailure(["client:x"], now: start.addingTimeInterval(Double(index) * 300)) }
        #expect(await !throttle.isBlocked(["client:x"], now: start.addingTimeInterval(1201)))
    }

    @Test func theTableStaysBounded() async {
        let throttle = LoginThrottle(limit: 5, window: .seconds(900), block: .seconds(900), capacity: 10)
        for index in 0..<100 { await throttle.recordFailure(["user:\(index)"], now: start) }
        #expect(await throttle.entryCount <= 10)
    }
}

@Suite struct SignInLogTests {
    @Test func typedNamesCannotForgeLogLines() {
        #expect(InboxHandlers.loggable("a@b\ninbox sign-in user=root\u{85}") == "a@b?inbox sign-in user=root?")
    }
}

@Suite struct SessionTokenTests {
    @Test func tokensAre128RandomBitsAndStoredOnlyAsDigests() {
        let token = SessionToken.make()
        #expect(SessionToken.isWellFormed(token) && token != SessionToken.make())
        // SHA-256 of "abc" (FIPS 180-2, B.1).
        #expect(SessionToken.storedKey("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(!SessionToken.isWellFormed(token.uppercased()) && !SessionToken.isWellFormed(token + "0"))
    }
}
