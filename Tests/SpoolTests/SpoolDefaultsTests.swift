import BackstopDefaults
import Foundation
@testable import Spool
import SpoolContract
import Testing

/// A spool opened without options runs `BackstopDefaults`'s values, the ones `serve` runs.
@Suite("Spool options default to BackstopDefaults")
struct SpoolDefaultsTests {
    @Test func options() {
        let options = SpoolOptions()
        #expect(.seconds(options.busyTimeout) == BackstopDefaults.Spool.busyTimeout)
        #expect(options.dedupWindow == BackstopDefaults.Spool.dedupWindow)
        #expect(options.reserveBytes == BackstopDefaults.Spool.reserveBytes)
        #expect(options.maximumPageCount == nil)
        let retry = options.recordingRetry
        #expect(retry.initialDelay == BackstopDefaults.Spool.recordingRetryFirstDelay)
        #expect(retry.maximumDelay == BackstopDefaults.Spool.recordingRetryLongestDelay)
    }
}
