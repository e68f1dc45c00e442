import ArgumentParser
import BackstopDefaults
import Foundation
import Inbox
import Spool
import SpoolContract

/// `backstop user …`: the people who may read their held mail in the emergency inbox. They live
/// in the spool database; nothing depends on the primary's directory.
struct User: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the emergency inbox's users.",
        discussion: """
            Passwords are stored only as bcrypt hashes (cost \(BackstopDefaults.Inbox.bcryptCost)). A user reads the mail \
            held for their address and aliases while the primary is down.

            Example: printf 'correct horse\\n' | backstop user add ann@example.org --alias sales@example.org --password-stdin
            """,
        subcommands: [Add.self, List.self, Passwd.self, Delete.self, TOTPSecret.self])
}

extension User {
    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user; asks for the password.")

        @OptionGroup var location: SpoolLocation
        @Argument(help: "The address the user signs in with; its mail is theirs to read.") var address: String
        @Option(name: .customLong("alias"), help: "A further address whose mail the user reads (repeatable).")
        var aliases: [String] = []
        @Flag(help: "Read the password from the first line of stdin instead of asking.") var passwordStdin = false

        func run() async throws {
            for candidate in [address] + aliases {
                guard InboxAddress.isPlausible(candidate) else {
                    throw ValidationError("\(candidate) is not a mail address (local-part@domain, at most 254 bytes)")
                }
            }
            let password = try PasswordInput.read(fromStdin: passwordStdin, confirm: true)
            let hash = try await PasswordHasher.hash(password)
            try await withSpool(location, forChanges: true, creating: true) { spool in
                try await spool.addInboxUser(InboxUser(address: address, aliases: aliases, passwordHash: hash,
                                                       totpSecret: nil, createdAt: OperatorClock.now))
                print("Added \(InboxUser.normalized(address))" + (aliases.isEmpty ? "" : " (also reads \(aliases.map(InboxUser.normalized).joined(separator: ", ")))") + ".")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the users, their aliases and second factor.")

        @OptionGroup var location: SpoolLocation
        @Flag(help: "Print JSON instead of a table.") var json = false

        func run() async throws {
            let users = try await withSpool(location) { try await $0.inboxUsers() }
            if json {
                let objects: [[String: Any]] = users.map {
                    ["address": $0.address, "aliases": $0.aliases, "totp": $0.totpSecret != nil,
                     "created": OperatorFormats.time($0.createdAt)]
                }
                let data = try JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
                return
            }
            guard !users.isEmpty else {
                print("No inbox users; add one with `backstop user add ADDRESS`.")
                return
            }
            var table = TextTable(["ADDRESS", "TOTP", "CREATED", "ALIASES"].map { TextTable.Column(title: $0) })
            for user in users {
                table.append([user.address, user.totpSecret == nil ? "no" : "yes", OperatorFormats.time(user.createdAt),
                           user.aliases.joined(separator: ", ")])
            }
            print(table.rendered, terminator: "")
        }
    }

    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a user's password.")

        @OptionGroup var location: SpoolLocation
        @Argument(help: "The user's sign-in address.") var address: String
        @Flag(help: "Read the password from the first line of stdin instead of asking.") var passwordStdin = false

        func run() async throws {
            let password = try PasswordInput.read(fromStdin: passwordStdin, confirm: true)
            let hash = try await PasswordHasher.hash(password)
            try await withSpool(location, forChanges: true) { spool in
                guard try await spool.setInboxPasswordHash(hash, address: address) else { throw noSuchUser(address) }
                print("Changed the password of \(InboxUser.normalized(address)).")
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a user and sign them out.")

        @OptionGroup var location: SpoolLocation
        @Argument(help: "The user's sign-in address.") var address: String

        func run() async throws {
            try await withSpool(location, forChanges: true) { spool in
                guard try await spool.deleteInboxUser(address: address) else { throw noSuchUser(address) }
                print("Deleted \(InboxUser.normalized(address)); their mail stays queued.")
            }
        }
    }

    struct TOTPSecret: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "totp",
            abstract: "Give a user a new TOTP secret; from then on they sign in with its code too.",
            discussion: "Prints an otpauth:// URI for an authenticator app. --disable removes the second factor.")

        @OptionGroup var location: SpoolLocation
        @Argument(help: "The user's sign-in address.") var address: String
        @Flag(help: "Remove the TOTP secret: password only again.") var disable = false

        func run() async throws {
            let secret = disable ? nil : TOTP.makeSecret()
            try await withSpool(location, forChanges: true) { spool in
                guard try await spool.setInboxTOTPSecret(secret, address: address) else { throw noSuchUser(address) }
                guard let secret else {
                    print("\(InboxUser.normalized(address)) signs in with the password only.")
                    return
                }
                print(TOTP.provisioningURI(secret: secret, account: InboxUser.normalized(address), issuer: "Backstop"))
            }
        }
    }
}

private func noSuchUser(_ address: String) -> OperatorFailure {
    OperatorFailure("no inbox user \(InboxUser.normalized(address)) (see backstop user list)")
}
