/// What the message page shows of a stored message: its main headers, its text, and its
/// attachments. An HTML part is turned into plain text, never rendered.
struct ReadableMessage: Sendable {
    struct Attachment: Sendable {
        /// The leaf's index, the `part/N` of its download link.
        var index: Int
        var fileName: String
        var contentType: String
        var size: Int
    }

    var from: String
    var to: String
    var cc: String
    var date: String
    var subject: String
    var text: String
    /// The text came from an HTML part.
    var textIsFromHTML: Bool
    var attachments: [Attachment]

    init(_ message: [UInt8]) {
        let bytes = message[...]
        let fields = HeaderField.parse(bytes[..<MIMEPart.headerEnd(bytes)])
        from = fields.text("From") ?? ""
        to = fields.text("To") ?? ""
        cc = fields.text("Cc") ?? ""
        date = fields.text("Date") ?? ""
        subject = fields.text("Subject") ?? ""
        let leaves = MIMEPart.leaves(of: bytes)
        let plain = leaves.firstIndex { !$0.isAttachment && $0.contentType.value == "text/plain" }
        let html = leaves.firstIndex { !$0.isAttachment && $0.contentType.value == "text/html" }
        if let plain {
            text = Self.text(of: leaves[plain])
            textIsFromHTML = false
        } else if let html {
            text = HTMLText.plainText(Self.text(of: leaves[html]))
            textIsFromHTML = true
        } else {
            text = ""
            textIsFromHTML = false
        }
        attachments = leaves.indices.compactMap { index -> Attachment? in
            guard index != plain, index != html else { return nil }
            let leaf = leaves[index]
            return Attachment(index: index, fileName: leaf.fileName ?? "part-\(index + 1)",
                              contentType: leaf.contentType.value, size: leaf.body.count)
        }
    }

    /// The decoded bytes of leaf `index`, for a download; nil when there is no such part.
    static func part(_ index: Int, of message: [UInt8]) -> (fileName: String, body: [UInt8])? {
        let leaves = MIMEPart.leaves(of: message[...])
        guard leaves.indices.contains(index) else { return nil }
        return (leaves[index].fileName ?? "part-\(index + 1)", leaves[index].body)
    }

    private static func text(of part: MIMEPart) -> String {
        Charsets.decode(part.body, charset: part.contentType.parameters["charset"] ?? "utf-8")
    }
}
