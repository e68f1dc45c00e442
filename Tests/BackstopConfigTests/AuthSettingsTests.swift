import BackstopConfig
import Foundation
import Testing

@Suite("[auth] and [arc] settings")
struct AuthSettingsTests {
    @Test("the checks default on; each key is read")
    func readsKeys() throws {
        #expect(BackstopConfiguration.embeddedDefaults.auth.spf && BackstopConfiguration.embeddedDefaults.auth.rejectDMARC)
        let auth = try parsed("[auth]\nspf = false\ndkim = false\ndmarc = false\nreject_dmarc = false\nauthserv_id = \"mx.example.org\"\n").auth
        #expect(auth == AuthSettings(spf: false, dkim: false, dmarc: false, rejectDMARC: false, authservID: "mx.example.org",
                                     publicSuffixList: AuthSettings.defaults.publicSuffixList))
    }

    @Test("DMARC without a readable Public Suffix List is a configuration error naming the fix")
    func missingSuffixList() {
        let error = configError("[auth]\npublic_suffix_list = \"/nonexistent/psl.dat\"\n")
        #expect(error?.contains("[auth] public_suffix_list: /nonexistent/psl.dat: cannot read file") == true, "\(error ?? "")")
        #expect(configError("[auth]\ndmarc = false\npublic_suffix_list = \"/nonexistent/psl.dat\"\n") == nil)
    }

    @Test("[arc] takes domain, selector and private_key together")
    func arcAllOrNone() throws {
        #expect(configError("[arc]\ndomain = \"example.org\"\n")?.contains("[arc] selector: missing; domain, selector and private_key go together") == true)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("arc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let certificate = directory.appendingPathComponent("cert.pem").path
        try "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".write(toFile: certificate, atomically: true, encoding: .utf8)
        let key = directory.appendingPathComponent("key.pem").path
        try "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".write(toFile: key, atomically: true, encoding: .utf8)
        let arc = "[arc]\ndomain = \"example.org\"\nselector = \"backstop\"\nprivate_key = "
        #expect(configError(arc + "\"\(certificate)\"\n")?.contains("no PEM private key found") == true)
        #expect(try parsed(arc + "\"\(key)\"\n").arc.isEnabled)
    }
}

@Suite("[inbox] journal settings")
struct InboxJournalSettingsTests {
    @Test("journal_address and journal_retention are read; retention defaults to 7d")
    func readsKeys() throws {
        #expect(BackstopConfiguration.embeddedDefaults.inbox.journalRetention == .seconds(7 * 86_400))
        #expect(BackstopConfiguration.embeddedDefaults.inbox.journalAddress == nil)
        let inbox = try parsed("[inbox]\njournal_address = \"journal@example.org\"\njournal_retention = \"2d\"\n").inbox
        #expect(inbox.journalAddress == "journal@example.org" && inbox.journalRetention == .seconds(2 * 86_400))
    }

    @Test("a journal address needs an SPF or DKIM check, and the shape of an address")
    func needsProofAndShape() {
        let error = configError("[auth]\nspf = false\ndkim = false\ndmarc = false\n[inbox]\njournal_address = \"journal@example.org\"\n")
        #expect(error?.contains("[inbox] journal_address: needs [auth] spf or dkim") == true, "\(error ?? "")")
        #expect(configError("[auth]\nspf = false\n[inbox]\njournal_address = \"journal@example.org\"\n") == nil)
        #expect(configError("[inbox]\njournal_address = \"journal\"\n")?.contains("[inbox] journal_address") == true)
        #expect(configError("[inbox]\njournal_address = \"<j@example.org>\"\n")?.contains("[inbox] journal_address") == true)
    }
}
