import BackstopConfig
import Testing

@Suite("[filter]")
struct FilterSettingsTests {
    @Test("off by default; rspamd's address, on_error and timeout as written")
    func settings() throws {
        let defaults = try parsed("").filter
        #expect(defaults.rspamd == nil && defaults.onError == .tempfail && defaults.timeout == .seconds(10))
        let filter = try parsed("""
            [filter]
            rspamd = "HTTP://127.0.0.1:11333/"
            on_error = "accept"
            timeout = "2s"
            """).filter
        #expect(filter.rspamd == "http://127.0.0.1:11333")
        #expect(filter.onError == .accept && filter.timeout == .seconds(2))
        #expect(try parsed("[filter]\nrspamd = \"https://[::1]:11333\"").filter.rspamd == "https://[::1]:11333")
    }

    @Test(arguments: [
        (#"rspamd = "127.0.0.1:11333""#, #"rspamd: "127.0.0.1:11333": expected rspamd's address as a URL, e.g. "http://127.0.0.1:11333""#),
        (#"rspamd = "http://127.0.0.1:11333/checkv2""#, #"rspamd: "http://127.0.0.1:11333/checkv2": write only the scheme, host and port, e.g. "http://127.0.0.1:11333" (Backstop adds /checkv2)"#),
        (#"rspamd = "http://user@127.0.0.1:11333""#, #"rspamd: "http://user@127.0.0.1:11333": write only the scheme, host and port, e.g. "http://127.0.0.1:11333" (Backstop adds /checkv2)"#),
        (#"on_error = "reject""#, #"on_error: "reject" is not one of tempfail, accept"#),
        (#"timeout = "10ms""#, #"timeout: must be at least 100ms (found "10ms")"#),
    ])
    func badFilter(line: String, problem: String) {
        #expect(configError("[filter]\n\(line)\n") == "\(testFile): [filter] \(problem)")
    }
}
