import BackstopConfig
import BackstopDefaults
import NIOCore
import NIOHTTP1
import NIOPosix

/// Just enough HTTP/1.1 to POST one JSON document and read the status code: one request per
/// connection, plain HTTP. AsyncHTTPClient would bring TLS, pooling and redirects at the cost
/// of a much larger build; a webhook needs none of them.
struct WebhookClient: Sendable {
    enum Failure: Error, CustomStringConvertible {
        case unreachable(String)
        case status(Int, String)
        case noResponse

        var description: String {
            switch self {
            case .unreachable(let why): "cannot connect: \(why)"
            case let .status(code, phrase): "HTTP \(code) \(phrase)"
            case .noResponse: "no response within the time limit"
            }
        }

        /// 4xx other than timeouts and rate limits: the receiver refuses this event and will
        /// refuse it again.
        var isPermanent: Bool {
            if case .status(let code, _) = self { return (400..<500).contains(code) && code != 408 && code != 429 }
            return false
        }
    }

    let group: any EventLoopGroup
    var connectTimeout = TimeAmount(BackstopDefaults.Notify.webhookConnectTimeout)
    /// For the whole exchange after connecting.
    var responseTimeout = TimeAmount(BackstopDefaults.Notify.webhookResponseTimeout)

    /// POSTs `body`; returns the status code of a 2xx answer, throws `Failure` otherwise.
    @discardableResult
    func post(_ body: [UInt8], to url: WebhookURL, userAgent: String = "Backstop") async throws(Failure) -> Int {
        let channel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(connectTimeout)
                .connect(host: url.host, port: url.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                            wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw .unreachable("\(error)")
        }
        // Closing the channel ends the response stream below, whatever the receiver does.
        let deadline = channel.channel.eventLoop.scheduleTask(in: responseTimeout) { [channel = channel.channel] in
            channel.close(promise: nil)
        }
        defer { deadline.cancel() }
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: url.path)
        let port = url.port == 80 ? "" : ":\(url.port)"
        head.headers.add(name: "Host", value: (url.host.contains(":") ? "[\(url.host)]" : url.host) + port)
        head.headers.add(name: "User-Agent", value: userAgent)
        head.headers.add(name: "Content-Type", value: "application/json")
        head.headers.add(name: "Content-Length", value: String(body.count))
        head.headers.add(name: "Connection", value: "close")
        let status: HTTPResponseStatus?
        do {
            status = try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(.head(head))
                try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body))))
                try await outbound.write(.end(nil))
                var status: HTTPResponseStatus?
                for try await part in inbound {
                    switch part {
                    case .head(let response) where response.status.code >= 200: status = response.status
                    case .end where status != nil: return status
                    default: continue
                    }
                }
                return status
            }
        } catch {
            throw .unreachable("\(error)")
        }
        guard let status else { throw .noResponse }
        guard (200..<300).contains(status.code) else { throw .status(Int(status.code), status.reasonPhrase) }
        return Int(status.code)
    }
}
