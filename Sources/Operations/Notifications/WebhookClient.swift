import AsyncHTTPClient
import BackstopConfig
import BackstopDefaults
import NIOCore
import NIOHTTP1
import NIOSSL

/// POSTs one JSON document to a webhook and reads its status code, over HTTP or HTTPS
/// (certificates verified against the system trust store, plus `[notify] webhook_ca` when
/// set). Redirects are not followed, at most `maxAnswerBytes` of the answer are read, and the
/// whole exchange has a deadline.
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

    let http: HTTPClient
    /// The TLS settings of https webhooks; nil: the client's (system trust store).
    let tls: TLSConfiguration?
    var timeout = BackstopDefaults.Notify.webhookConnectTimeout + BackstopDefaults.Notify.webhookResponseTimeout
    var maxAnswerBytes = BackstopDefaults.Notify.webhookMaxAnswerBytes

    /// `caFile`: PEM certificates trusted besides the system's, for a receiver with a private CA.
    init(http: HTTPClient, caFile: String?) {
        self.http = http
        if let caFile {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.additionalTrustRoots = [.file(caFile)]
            self.tls = tls
        } else {
            tls = nil
        }
    }

    /// POSTs `body`; returns the status code of a 2xx answer, throws `Failure` otherwise.
    @discardableResult
    func post(_ body: [UInt8], to url: WebhookURL, userAgent: String = "Backstop") async throws(Failure) -> Int {
        var request = HTTPClientRequest(url: url.description)
        request.method = .POST
        request.headers.add(name: "User-Agent", value: userAgent)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        if url.isHTTPS, let tls { request.tlsConfiguration = tls }
        let status: HTTPResponseStatus
        do {
            let (http, timeout, maxAnswerBytes, prepared) = (self.http, self.timeout, self.maxAnswerBytes, request)
            status = try await withTimeLimit(timeout) {
                let response = try await http.execute(prepared, timeout: TimeAmount(timeout))
                // The answer is read (within its bound) and dropped: only the status code matters.
                _ = try? await response.body.collect(upTo: maxAnswerBytes)
                return response.status
            }
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw .noResponse
        } catch is TimeLimitExceeded {
            throw .noResponse
        } catch {
            throw .unreachable("\(error)")
        }
        guard (200..<300).contains(status.code) else { throw .status(Int(status.code), status.reasonPhrase) }
        return Int(status.code)
    }
}
