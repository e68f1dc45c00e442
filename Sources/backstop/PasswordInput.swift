import ArgumentParser
import Foundation
import Inbox
#if canImport(Glibc)
import Glibc
#endif

/// A new password from stdin (`--password-stdin`, first line) or typed twice without echo.
enum PasswordInput {
    static let minimumBytes = 8

    static func read(fromStdin: Bool, confirm: Bool) throws -> String {
        let password: String
        if fromStdin {
            guard let line = readLine(strippingNewline: true) else {
                throw ValidationError("--password-stdin: stdin is empty; write the password as its first line")
            }
            password = line
        } else {
            password = prompt("Password: ")
            if confirm, prompt("Again: ") != password { throw ValidationError("the two passwords differ") }
        }
        guard !password.utf8.contains(0) else { throw ValidationError("the password contains a NUL byte") }
        let bytes = password.utf8.count
        guard bytes >= minimumBytes else { throw ValidationError("the password is shorter than \(minimumBytes) bytes") }
        guard bytes <= PasswordHasher.maxPasswordBytes else {
            throw ValidationError("the password is longer than \(PasswordHasher.maxPasswordBytes) bytes, all bcrypt reads")
        }
        return password
    }

    private static func prompt(_ text: String) -> String {
        guard let typed = getpass(text) else { return "" }
        return String(cString: typed)
    }
}
