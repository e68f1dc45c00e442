import HTTPTypes
import NIOCore
import Hummingbird

/// Headers on every answer: no script, no framing, no referrer, no sniffing, no caching of
/// other people's mail; and an over-long request line is refused before any handler runs.
struct InboxSecurityHeaders: RouterMiddleware {
    typealias Context = InboxRequestContext
    let tls: Bool

    static let maxTargetBytes = 2048
    static let contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        + "frame-ancestors 'none'; base-uri 'none'"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        if request.uri.string.utf8.count > Self.maxTargetBytes {
            response = Response(status: .uriTooLong)
        } else {
            do {
                response = try await next(request, context)
            } catch let error as any HTTPResponseError {
                response = Response(status: error.status)
            } catch is NIOTooManyBytesError {
                response = Response(status: .contentTooLarge)
            } catch {
                // A spool error: the page says nothing of it, the log says all.
                context.logger.error("inbox request failed: \(error)")
                response = Response(status: .serviceUnavailable)
            }
        }
        response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.referrerPolicy] = "no-referrer"
        response.headers[.xFrameOptions] = "DENY"
        response.headers[.cacheControl] = "no-store"
        if tls { response.headers[.strictTransportSecurity] = "max-age=31536000" }
        return response
    }
}

extension HTTPField.Name {
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
}
