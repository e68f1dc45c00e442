import Foundation
import Testing

/// The README's recipes for Microsoft 365 and Google Workspace are configurations an operator
/// copies: each must pass `backstop check-config` as written, and the ARC key record that
/// command prints must be the one the README's openssl commands derive.
@Suite("The README's recipes", .timeLimit(.minutes(2)))
struct ReadmeRecipeTests {
    static let repository = Tools.peersDirectory.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let section = "## Putting Backstop in front of the primary"

    /// The ```toml blocks of the recipes' section, in order.
    static func recipes() throws -> [String] {
        let readme = try String(contentsOf: repository.appendingPathComponent("README.md"), encoding: .utf8)
        guard let start = readme.range(of: "\n" + section + "\n") else { return [] }
        let rest = readme[start.upperBound...]
        let body = rest.range(of: "\n## ").map { rest[..<$0.lowerBound] } ?? rest
        return body.components(separatedBy: "```toml\n").dropFirst().compactMap { $0.components(separatedBy: "\n```").first }
    }

    @Test("each recipe passes check-config, which prints the ARC key record the README's openssl command derives")
    func recipesCheck() async throws {
        let recipes = try Self.recipes()
        #expect(recipes.count == 2, "one configuration each for Microsoft 365 and Google Workspace")
        #expect(recipes.first?.contains("example-org.mail.protection.outlook.com:25") == true)
        #expect(recipes.last?.contains("aspmx.l.google.com:25") == true)
        let openssl = try Tools.require("openssl")
        try await withTestDirectory { directory in
            let (certificate, key) = try await makeCertificate(in: directory)
            let arcKey = directory.appendingPathComponent("arc.pem").path
            let generated = try await runToCompletion(openssl, ["genpkey", "-algorithm", "ed25519", "-out", arcKey])
            #expect(generated.exit == .exited(0), "\(generated.stderrText)")
            // `openssl pkey -in arc.pem -pubout -outform DER | tail -c 32 | base64`, as the README says.
            let der = try await runToCompletion(openssl, ["pkey", "-in", arcKey, "-pubout", "-outform", "DER"])
            let publicKey = Data(der.stdout.suffix(32)).base64EncodedString()
            let expected = #"# backstop._domainkey.example.org. IN TXT ( "v=DKIM1; k=ed25519; p=\#(publicKey)" )"#

            for (index, recipe) in recipes.enumerated() {
                let text = recipe
                    .replacingOccurrences(of: "/etc/backstop/tls/fullchain.pem", with: certificate)
                    .replacingOccurrences(of: "/etc/backstop/tls/privkey.pem", with: key)
                    .replacingOccurrences(of: "/etc/backstop/arc.pem", with: arcKey)
                    .replacingOccurrences(of: "/var/lib/backstop/", with: directory.path + "/")
                let file = try directory.write(text, to: "recipe-\(index).toml")
                let checked = try await runToCompletion(try Tools.backstop(), ["check-config", "--config", file.path],
                                                        in: directory.path, timeout: .seconds(30))
                #expect(checked.exit == .exited(0), "recipe \(index): \(checked.stderrText)")
                #expect(checked.stdoutText.split(separator: "\n").contains { $0 == expected },
                        "recipe \(index) prints the ARC key record:\n\(checked.stdoutText.suffix(400))")
            }
        }
    }
}
