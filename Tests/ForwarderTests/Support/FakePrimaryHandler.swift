import NIOCore
import NIOSSL
import SMTPProtocol

/// One connection to the fake primary: frames commands and DATA with the Listener's own
/// `InboundFramer`, answers per script, records.
final class FakePrimaryHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let script: FakePrimary.Script
    private let shared: SharedRecord
    private var framer = InboundFramer()
    private var buffer: ByteBuffer?
    private var transaction: FakePrimary.Transaction?
    private var inData = false
    private var tlsRequested = false

    init(script: FakePrimary.Script, shared: SharedRecord) {
        self.script = script
        self.shared = shared
    }

    func channelActive(context: ChannelHandlerContext) {
        shared.update { $0.connections += 1 }
        if let greeting = script.greeting, script.stall != .greeting { reply(greeting, context) }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        shared.update { $0.wire += bytes.readableBytesView }
        // This fake cannot speak TLS: whatever follows STARTTLS (a ClientHello) ends the connection.
        if tlsRequested {
            context.close(promise: nil)
            return
        }
        if buffer == nil { buffer = bytes } else { buffer!.writeBuffer(&bytes) }
        var batch: [String] = []
        while var pending = buffer, let event = framer.next(&pending) {
            buffer = pending
            switch event {
            case .command(let line):
                let text = String(decoding: line, as: UTF8.self)
                batch.append(text)
                shared.update { $0.commands.append(text) }
                handle(text, context)
            case .content(let content):
                if script.dropMidData {
                    context.close(promise: nil)
                    return
                }
                transaction?.content += content.readableBytesView
            case .dataEnd:
                inData = false
                if let transaction { shared.update { $0.transactions.append(transaction) } }
                transaction = nil
                if script.stall != .dataEnd { reply(script.finalReply, context) }
            default:
                reply(SMTPReply(500, .init(5, 5, 2), "bad input"), context)
            }
        }
        if !batch.isEmpty { shared.update { $0.batches.append(batch) } }
    }

    private func handle(_ line: String, _ context: ChannelHandlerContext) {
        let verb = line.prefix { $0 != " " }.uppercased()
        switch verb {
        case "EHLO":
            guard script.stall != .ehlo else { return }
            if let rejection = script.ehloReply { return reply(rejection, context) }
            var lines = [script.hostname]
            if script.pipelining { lines.append("PIPELINING") }
            if let size = script.size { lines.append("SIZE \(size)") }
            if script.eightBitMIME { lines.append("8BITMIME") }
            if script.smtpUTF8 { lines.append("SMTPUTF8") }
            if script.dsn { lines.append("DSN") }
            if script.startTLS { lines.append("STARTTLS") }
            lines.append("ENHANCEDSTATUSCODES")
            reply(SMTPReply(250, nil, lines), context)
        case "HELO":
            reply(SMTPReply(250, nil, script.hostname), context)
        case "STARTTLS":
            reply(SMTPReply(220, .init(2, 0, 0), "Ready to start TLS"), context)
            guard let tls = script.tls else {
                tlsRequested = true
                return
            }
            // RFC 3207 §4.2: the session starts over, and nothing read before counts.
            framer = InboundFramer()
            buffer = nil
            transaction = nil
            shared.update { $0.tlsSessions += 1 }
            try? context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls), position: .first)
        case "MAIL":
            guard script.stall != .mail else { return }
            if script.mailReply.code / 100 == 2 { transaction = FakePrimary.Transaction(mail: line) }
            reply(script.mailReply, context)
        case "RCPT":
            guard script.stall != .rcpt else { return }
            let address = line.drop { $0 != "<" }.dropFirst().prefix { $0 != ">" }
            let answer = script.rcptReplies[String(address)] ?? SMTPReply(250, .init(2, 1, 5), "Recipient ok")
            if answer.code / 100 == 2 { transaction?.recipients.append(line) }
            reply(answer, context)
        case "DATA":
            guard script.stall != .data else { return }
            guard let transaction, !transaction.recipients.isEmpty else {
                return reply(SMTPReply(554, .init(5, 5, 1), "No valid recipients"), context)
            }
            inData = true
            framer.beginData()
            reply(SMTPReply(354, nil, "End data with <CR><LF>.<CR><LF>"), context)
            if script.stall == .content { try? context.channel.syncOptions?.setOption(.autoRead, value: false) }
        case "RSET":
            transaction = nil
            reply(SMTPReply(250, .init(2, 0, 0), "Reset"), context)
        case "QUIT":
            reply(SMTPReply(221, .init(2, 0, 0), "Bye"), context)
            context.close(promise: nil)
        default:
            reply(SMTPReply(502, .init(5, 5, 1), "Not implemented"), context)
        }
    }

    private func reply(_ reply: SMTPReply, _ context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: reply.wireFormat)), promise: nil)
    }
}
