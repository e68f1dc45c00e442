import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The most resident memory a process has used so far (VmHWM in /proc/PID/status), in bytes.
func peakResidentBytes(of pid: Int32) throws -> Int {
    let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
    guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kilobytes = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap({ Int($0) })
    else { throw SpawnError(description: "no VmHWM in /proc/\(pid)/status") }
    return kilobytes * 1024
}

/// Resident memory now (VmRSS in /proc/PID/status), in bytes.
func residentBytes(of pid: Int32) throws -> Int {
    let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
    guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
          let kilobytes = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap({ Int($0) })
    else { throw SpawnError(description: "no VmRSS in /proc/\(pid)/status") }
    return kilobytes * 1024
}

/// How many descriptors a process has open.
func openDescriptors(of pid: Int32) throws -> Int {
    try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count
}

/// Raises this process's soft limit on open descriptors to `wanted` (or the hard limit, if
/// lower), so that it and the children it starts (which inherit the limit) can hold a flood
/// of connections. Returns the soft limit in force afterwards.
@discardableResult
func raiseDescriptorLimit(to wanted: Int) -> Int {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
    let target = min(rlim_t(wanted), limit.rlim_max)
    if limit.rlim_cur < target {
        limit.rlim_cur = target
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        _ = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
    return Int(limit.rlim_cur)
}

extension Duration {
    /// For printed figures: "0.024 s".
    var inSeconds: String {
        String(format: "%.3f s", Double(components.seconds) + Double(components.attoseconds) / 1e18)
    }
}
