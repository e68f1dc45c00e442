import Foundation

/// A value that threads share behind a lock: what `Synchronization.Mutex` offers, on a pthread
/// mutex (Foundation's `NSLock`). On Linux `Mutex` waits on a futex that Thread Sanitizer does
/// not see, so every contended use of one reads to it as a data race; a pthread mutex it
/// understands, and the sanitizer run stays able to report the real ones.
public final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) {
        self.value = value
    }

    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
