import AsyncHTTPClient
import Foundation
import Listener
import NIOCore
import NIOHTTP1

/// Asks rspamd's normal worker about one message: `POST /checkv2` with the envelope in the
/// headers its protocol defines and the message as it will be stored as the body; reads at most
/// `maxAnswerBytes` of JSON back. Any failure throws, for `[filter] on_error` to decide.
struct RspamdClient: ContentFilter {
    /// `http://host:port`, without a path.
    let endpoint: String
    let http: HTTPClient
    let timeout: Duration
    let maxAnswerBytes: Int

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    func check(_ request: FilterRequest) async throws -> FilterAnswer {
        var post = HTTPClientRequest(url: endpoint + "/checkv2")
        post.method = .POST
        post.headers = Self.headers(for: request)
        post.body = try MessageUpload.body(traceFields: request.traceFields, content: request.content)
        let (http, timeout, maxAnswerBytes, request) = (self.http, self.timeout, self.maxAnswerBytes, post)
        let answer = try await withTimeLimit(timeout) {
            let response = try await http.execute(request, timeout: TimeAmount(timeout))
            guard response.status == .ok else {
                throw Failure(description: "rspamd answered HTTP \(response.status.code)")
            }
            return try await response.body.collect(upTo: maxAnswerBytes)
        }
        return try FilterAnswer(parsing: Array(buffer: answer))
    }

    /// rspamd's request headers. `Hostname` is the client's resolved name; Backstop makes no
    /// reverse lookup, so it says "unknown", as Postfix does for a client without one.
    static func headers(for request: FilterRequest) -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.add(name: "IP", value: request.clientAddress)
        headers.add(name: "Helo", value: request.helo)
        headers.add(name: "Hostname", value: "unknown")
        headers.add(name: "From", value: request.sender)
        for recipient in request.recipients { headers.add(name: "Rcpt", value: recipient) }
        headers.add(name: "Queue-Id", value: request.queueID)
        return headers
    }
}
