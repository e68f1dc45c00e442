import Foundation
import Testing
@testable import Spool
import SpoolContract
import MailCore

@Suite("Queue IDs")
struct QueueIDTests {
    @Test("generated IDs are 12 Crockford base32 characters and do not repeat")
    func generated() {
        let ids = (0..<10_000).map { _ in QueueID.generate() }
        #expect(Set(ids).count == ids.count)
        for id in ids.prefix(100) {
            #expect(id.rawValue.count == 12)
            #expect(QueueID(rawValue: id.rawValue) == id)
        }
        // 60 random bits: the first character carries 5 of them too.
        #expect(Set(ids.map(\.rawValue.first)).count > 16)
    }

    @Test("what operators type is read the Crockford way", arguments: [
        ("0123456789AB", "0123456789AB"),
        ("0123456789ab", "0123456789AB"),
        ("O1234567890I", "012345678901"),
        ("l23456789ZZZ", "123456789ZZZ"),
    ])
    func parsing(typed: String, canonical: String) {
        #expect(QueueID(parsing: typed)?.rawValue == canonical)
    }

    @Test("only ASCII letters change case: no Unicode letter passes for one", arguments: [
        "0123456789Aı", "0123456789Aſ", "0123456789A\u{212A}", "ﬀ0123456789A",
    ])
    func unicodeLookalikes(typed: String) {
        #expect(QueueID(parsing: typed) == nil)
    }

    @Test("malformed IDs are rejected", arguments: ["", "0123456789A", "0123456789ABC", "0123456789AU", "01234 6789AB", "0123456789ab"])
    func malformed(text: String) {
        #expect(QueueID(rawValue: text) == nil)
    }

    @Test("an ID encodes as a plain string")
    func codable() throws {
        let id = try #require(QueueID(rawValue: "0123456789AB"))
        let json = try JSONEncoder().encode([id])
        #expect(String(decoding: json, as: UTF8.self) == #"["0123456789AB"]"#)
        #expect(try JSONDecoder().decode([QueueID].self, from: json) == [id])
    }
}

@Suite("DSN NOTIFY")
struct DSNNotifyTests {
    @Test("RFC 3461 values parse", arguments: [
        ("NEVER", DSNNotifyRequest.never),
        ("never", .never),
        ("SUCCESS", .on([.success])),
        ("DELAY,SUCCESS", .on([.success, .delay])),
        ("Failure,Delay", .on([.failure, .delay])),
    ])
    func parses(text: String, request: DSNNotifyRequest) {
        #expect(DSNNotifyRequest(rfc3461: text) == request)
    }

    // The long s and the dotless i uppercase to S and I under Unicode rules: keywords match in
    // ASCII only, on the wire as in the spool.
    @Test("malformed values do not parse", arguments: [
        "", "NEVER,SUCCESS", "SUCCESS,,DELAY", "SUCCESS,SUCCESS", "SOMETIMES", "\u{17F}uccess", "DELAY,fa\u{131}lure",
    ])
    func rejects(text: String) {
        #expect(DSNNotifyRequest(rfc3461: text) == nil)
    }

    @Test("values are written in canonical order; an empty set means unspecified")
    func formats() {
        #expect(DSNNotifyRequest.on([.delay, .success]).rfc3461 == "SUCCESS,DELAY")
        #expect(DSNNotifyRequest.on([]).rfc3461 == nil)
        #expect(DSNNotifyRequest.unspecified.rfc3461 == nil)
    }
}
