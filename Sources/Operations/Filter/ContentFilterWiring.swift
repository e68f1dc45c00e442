import AsyncHTTPClient
import BackstopConfig
import BackstopDefaults
import Listener
import NIOCore

extension ContentFiltering {
    /// `[filter]` as the listener's content filter; nil without `rspamd`.
    static func configured(_ settings: FilterSettings, http: HTTPClient) -> ContentFiltering? {
        guard let endpoint = settings.rspamd else { return nil }
        let client = RspamdClient(endpoint: endpoint, http: http, timeout: settings.timeout,
                                  maxAnswerBytes: BackstopDefaults.Filter.maxAnswerBytes)
        return ContentFiltering(filter: client, onError: settings.onError == .tempfail ? .tempfail : .accept)
    }
}

extension HTTPClient {
    /// The one HTTP client of a server (content filter, webhooks): certificates verified
    /// against the system trust store, no redirects followed, nothing decompressed; each
    /// request sets its own deadline.
    static func backstop(group: any EventLoopGroup) -> HTTPClient {
        var configuration = HTTPClient.Configuration(certificateVerification: .fullVerification)
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroupProvider: .shared(group), configuration: configuration)
    }
}
