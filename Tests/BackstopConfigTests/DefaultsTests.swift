import BackstopConfig
import Foundation
import Testing

@Suite("Embedded defaults and the shipped config/backstop.toml")
struct DefaultsTests {
    @Test func embeddedDefaults() {
        let defaults = BackstopConfiguration.embeddedDefaults
        #expect(defaults.server.listen == [ListenAddress(host: "127.0.0.1", port: 2525)])
        #expect(defaults.server.maxMessageSize == 52_428_800)
        #expect(defaults.server.maxRecipients == 100)
        #expect(defaults.server.maxConnections == 1000)
        #expect(defaults.server.maxConnectionsPerIP == 20)
        #expect(defaults.server.maxErrors == 20)
        #expect(defaults.server.maxLineLength == 1000)
        #expect(defaults.server.commandTimeout == .seconds(300))
        #expect(defaults.server.dataInitiationTimeout == .seconds(120))
        #expect(defaults.server.dataBlockTimeout == .seconds(180))
        #expect(defaults.server.minDataRate == 500)
        #expect(defaults.server.shutdownGrace == .seconds(30))
        #expect(defaults.server.memoryBodyLimit == 262_144)
        #expect(defaults.server.acceptWhen == .always)
        #expect(defaults.tls == TLSSettings.defaults)
        #expect(defaults.tls.certificate == nil && defaults.tls.privateKey == nil)
        #expect(!defaults.tls.isEnabled)
        #expect(defaults.relay.domains == ["example.test"])
        #expect(defaults.relay.recipients == nil)
        #expect(defaults.relay.verify == false)
        #expect(defaults.relay.verifyPositiveTTL == .seconds(31 * 86_400))
        #expect(defaults.relay.verifyNegativeTTL == .seconds(3 * 3600))
        #expect(defaults.relay.verifyUnknownWhenDown == .accept)
        #expect(defaults.spool.path == "spool/backstop.sqlite")
        #expect(defaults.spool.retryMin == .seconds(300))
        #expect(defaults.spool.retryMax == .seconds(3600))
        #expect(defaults.spool.maxAge == .seconds(5 * 86_400))
        #expect(defaults.spool.delayWarning == nil)
        #expect(defaults.spool.dedupWindow == .seconds(600))
        #expect(defaults.spool.historyRetention == .seconds(30 * 86_400))
        #expect(defaults.relay.verifyRate == 30)
        #expect(defaults.primary.hosts.isEmpty)
        #expect(!defaults.primary.forwardsMail)
        #expect(defaults.primary.checkInterval == .seconds(30))
        #expect(defaults.primary.downAfter == 3)
        #expect(defaults.primary.upAfter == 2)
        #expect(defaults.primary.probeTimeout == .seconds(10))
        #expect(defaults.primary.maxConnections == 4)
        #expect(defaults.primary.maxRate == 0)
        #expect(defaults.primary.tls == .verify)
        #expect(defaults.primary.caFile == nil)
        #expect(defaults.primary.connectTimeout == .seconds(30))
        #expect(defaults.primary.commandTimeout == .seconds(300))
        #expect(defaults.primary.dataTimeout == .seconds(600))
        #expect(defaults.primary.routes.isEmpty)
        #expect(defaults.bounce.relay == nil)
        #expect(defaults.admin.listen == ListenAddress(host: "127.0.0.1", port: 9425))
        #expect(defaults.admin.token == nil)
        #expect(defaults.notify.webhooks.isEmpty)
        #expect(defaults.notify.command == nil)
        #expect(!defaults.notify.isEnabled)
        #expect(defaults.notify.queueThreshold == 1000)
        #expect(defaults.notify.ageThreshold == .seconds(3600))
        #expect(defaults.log.level == .info)
        #expect(defaults.log.format == .text)
    }

    @Test func hostnameDefaultsToTheMachinesNameLowercased() {
        let hostname = BackstopConfiguration.embeddedDefaults.server.hostname
        #expect(!hostname.isEmpty)
        #expect(hostname == hostname.lowercased())
        var buffer = [CChar](repeating: 0, count: 256)
        #expect(gethostname(&buffer, buffer.count) == 0)
        let machine = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // "localhost" stands in for a machine name that is no valid domain name.
        #expect(hostname == machine.lowercased() || hostname == "localhost")
    }

    @Test func anEmptyFileMeansTheDefaults() throws {
        #expect(try parsed("") == .embeddedDefaults)
        #expect(try parsed("# only a comment\n[server]\n[log]\n") == .embeddedDefaults)
    }

    @Test func shippedConfigEqualsTheEmbeddedDefaults() throws {
        let shipped = try BackstopConfiguration.load(file: shippedConfigPath)
        #expect(shipped == .embeddedDefaults)
    }

    /// The shipped file names every key, set or commented out, in the order
    /// `rendered()` prints them, so that the two read alike.
    @Test func shippedConfigListsEveryKeyInRenderedOrder() throws {
        let shipped = try String(contentsOfFile: shippedConfigPath, encoding: .utf8)
        let rendered = BackstopConfiguration.embeddedDefaults.rendered()
        #expect(keyNames(in: shipped) == keyNames(in: rendered))
        #expect(keyNames(in: rendered).count == 87)
        #expect(keyNames(in: rendered).contains("[primary] route"))
    }

    @Test func shippedConfigCommentsEveryKey() throws {
        let lines = try String(contentsOfFile: shippedConfigPath, encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() where keyName(in: line) != nil {
            // Each key is introduced by a comment that says what it does and its default.
            let introduction = lines[..<index].reversed().prefix { $0.hasPrefix("#") }
            #expect(!introduction.isEmpty, "no comment before \(line)")
            #expect(introduction.contains { $0.contains("Default") }, "no default given for \(line)")
        }
    }

    /// "[section] key" for each key line, set (`key = …`) or commented out
    /// (`# key = …` in the shipped file, `# key is not set` in rendered output). A list of
    /// tables counts as one key, named by its commented header: `#   [[primary.route]]`
    /// in the shipped file, `# [[primary.route]] is not set` in rendered output.
    private func keyNames(in toml: String) -> [String] {
        var section = ""
        var names: [String] = []
        for line in toml.split(separator: "\n") {
            if line.hasPrefix("[") {
                section = String(line)
            } else if let name = keyName(in: line) {
                names.append(section + " " + name)
            }
        }
        return names
    }

    private func keyName(in line: Substring) -> String? {
        if line.hasPrefix("#"), let header = tableListHeader(in: line) {
            return header.split(separator: ".").last.map(String.init)
        }
        let body = line.hasPrefix("# ") ? line.dropFirst(2) : line
        guard let space = body.firstIndex(of: " ") else { return nil }
        let name = body[..<space]
        let rest = body[space...]
        guard !name.isEmpty, name.allSatisfy({ $0.isLowercase || $0 == "_" }),
              rest.hasPrefix(" = ") || rest == " is not set" else { return nil }
        return String(name)
    }

    /// "primary.route" in `#   [[primary.route]]` or `# [[primary.route]] is not set`.
    private func tableListHeader(in line: Substring) -> Substring? {
        let text = line.drop { $0 == "#" || $0 == " " }
        guard text.hasPrefix("[["), let end = text.range(of: "]]") else { return nil }
        return text[text.index(text.startIndex, offsetBy: 2)..<end.lowerBound]
    }
}
