import BackstopDefaults
import Foundation
import Hummingbird
import Logging
import NIOPosix
import SpoolContract

/// The inbox's routes. Sign-in and sign-out are forms with CSRF tokens; everything else needs a
/// session and shows only what the session's user may see.
struct InboxHandlers: Sendable {
    let store: any InboxStore
    let sessionLifetime: Duration
    /// Verified against for unknown users, so they take as long as wrong passwords.
    let dummyHash: String
    let throttle: LoginThrottle
    let totpReplay = TOTPReplayGuard()
    let logger: Logger

    static let sessionCookie = "backstop_session"
    /// Before sign-in there is no session: the login form's CSRF token is a double-submit cookie.
    static let loginCookie = "backstop_login"
    static let maxUsernameBytes = 254

    func register(on router: Router<InboxRequestContext>) {
        router.get("/inbox.css") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: InboxStyle.css)))
        }
        router.get("/login") { request, _ in try await loginPage(request) }
        router.post("/login") { request, context in try await login(request, context) }
        router.post("/logout") { request, context in try await logout(request, context) }
        router.get("/") { request, context in try await list(request, context) }
        router.get("/message/:id") { request, context in try await message(request, context) }
        router.get("/message/:id/part/:index") { request, context in try await part(request, context) }
    }

    // MARK: Sign-in and sign-out

    private func loginPage(_ request: Request) async throws -> Response {
        if try await session(of: request) != nil { return redirect(to: "/") }
        let token = SessionToken.make()
        var response = page(.ok, InboxPages.login(csrf: token, problem: nil))
        response.setCookie(cookie(Self.loginCookie, token, maxAge: 3600))
        return response
    }

    private func login(_ request: Request, _ context: InboxRequestContext) async throws -> Response {
        let client = context.clientAddress
        guard let form = try await form(LoginForm.self, of: request),
              let cookieToken = request.cookies[Self.loginCookie]?.value, SessionToken.isWellFormed(cookieToken),
              let formToken = form.csrf, SessionToken.same(formToken, cookieToken) else {
            logger.warning("inbox sign-in refused: missing or wrong CSRF token", metadata: ["client": "\(client)"])
            return refusedForm()
        }
        let now = Date()
        let username = InboxUser.normalized(String((form.username ?? "").prefix(Self.maxUsernameBytes)))
        let keys = ["user:" + username, "client:" + client]
        let shown = Self.loggable(username)
        if await throttle.isBlocked(keys, now: now) {
            logger.warning("inbox sign-in throttled", metadata: ["user": "\(shown)", "client": "\(client)"])
            return page(.tooManyRequests, InboxPages.login(
                csrf: cookieToken, problem: "Too many failed sign-ins. Wait 15 minutes, then try again."))
        }
        let password = form.password ?? ""
        let user = username.isEmpty ? nil : try await store.inboxUser(address: username)
        // Always one bcrypt: an unknown user costs what a wrong password does.
        // bcrypt reads a C string of at most 72 bytes: a longer password or one with a NUL in it
        // would be compared by a prefix only, so it fails (after the same hashing as any other).
        let usable = password.utf8.count <= PasswordHasher.maxPasswordBytes && !password.utf8.contains(0)
        let passwordMatches = try await PasswordHasher.verify(usable ? password : "", hash: user?.passwordHash ?? dummyHash)
        var accepted = usable && passwordMatches && user != nil
        if accepted, let user, let secret = user.totpSecret {
            let step = TOTP.matchedStep(form.totp ?? "", secret: secret, at: now, drift: BackstopDefaults.Inbox.totpDriftSteps)
            accepted = if let step { await totpReplay.accept(step, for: user.address) } else { false }
        }
        guard accepted, let user else {
            await throttle.recordFailure(keys, now: now)
            logger.warning("inbox sign-in failed", metadata: ["user": "\(shown)", "client": "\(client)"])
            return page(.unauthorized, InboxPages.login(
                csrf: cookieToken, problem: "That address, password or code is not right."))
        }
        await throttle.recordSuccess("user:" + username)
        _ = try await store.pruneInboxSessions(now: now)
        let cookieKey = SessionToken.make()
        let session = InboxSession(key: SessionToken.storedKey(cookieKey), address: user.address, csrfToken: SessionToken.make(),
                                   clientAddress: client, createdAt: now,
                                   expiresAt: now.addingTimeInterval(sessionLifetime.timeInterval))
        try await store.createInboxSession(session)
        logger.notice("inbox sign-in", metadata: ["user": "\(user.address)", "client": "\(client)"])
        var response = redirect(to: "/")
        response.setCookie(cookie(Self.sessionCookie, cookieKey, maxAge: Int(sessionLifetime.timeInterval)))
        response.setCookie(cookie(Self.loginCookie, "", maxAge: 0))
        return response
    }

    private func logout(_ request: Request, _ context: InboxRequestContext) async throws -> Response {
        guard let (session, _) = try await session(of: request) else { return redirect(to: "/login") }
        guard let form = try await form(LogoutForm.self, of: request), let token = form.csrf,
              SessionToken.same(token, session.csrfToken) else {
            logger.warning("inbox sign-out refused: missing or wrong CSRF token",
                           metadata: ["user": "\(session.address)", "client": "\(context.clientAddress)"])
            return refusedForm()
        }
        try await store.deleteInboxSession(key: session.key)
        logger.notice("inbox sign-out", metadata: ["user": "\(session.address)", "client": "\(context.clientAddress)"])
        var response = redirect(to: "/login")
        response.setCookie(cookie(Self.sessionCookie, "", maxAge: 0))
        return response
    }

    // MARK: Reading

    private func list(_ request: Request, _ context: InboxRequestContext) async throws -> Response {
        guard let (session, user) = try await session(of: request) else { return redirect(to: "/login") }
        let pageSize = BackstopDefaults.Inbox.pageSize
        let wanted = request.uri.queryParameters["page"].flatMap { Int(String($0)) } ?? 1
        let pageNumber = min(max(1, wanted), 100_000)
        let page = try await store.inboxMessages(addressedTo: user.addresses, limit: pageSize,
                                                 offset: (pageNumber - 1) * pageSize)
        let rows = page.entries.map { entry in
            let fields = HeaderField.parse(entry.headerSection[...])
            let envelope = entry.stored.envelope
            return InboxPages.Row(queueID: envelope.queueID, date: envelope.receivedAt,
                                  sender: fields.text("From") ?? (envelope.sender.isEmpty ? "(mail system)" : envelope.sender),
                                  subject: fields.text("Subject") ?? "", size: entry.stored.size,
                                  isJournalCopy: entry.isJournalCopy)
        }
        let outage = PrimaryOutage.current(from: try await store.healthHistory(host: nil, limit: 200))
        let pages = max(1, (page.total + pageSize - 1) / pageSize)
        return self.page(.ok, InboxPages.list(user: user.address, csrf: session.csrfToken, outage: outage, rows: rows,
                                              page: pageNumber, pages: pages, total: page.total))
    }

    private func message(_ request: Request, _ context: InboxRequestContext) async throws -> Response {
        guard let (session, user) = try await session(of: request) else { return redirect(to: "/login") }
        var id = context.parameters.get("id") ?? ""
        let raw = id.hasSuffix(".eml")
        if raw { id = String(id.dropLast(4)) }
        guard let (stored, recipients) = try await visibleMessage(id, to: user),
              let data = try await store.messageData(of: stored.envelope.queueID) else { return notFound() }
        logger.notice("inbox message \(raw ? "download" : "view")", metadata: [
            "user": "\(user.address)", "client": "\(context.clientAddress)", "queue_id": "\(id)"])
        if raw {
            return Response(status: .ok, headers: [
                .contentType: "message/rfc822",
                .contentDisposition: "attachment; filename=\"\(id).eml\"",
            ], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        // Parsing a large message is CPU work: NIO's thread pool, not the cooperative threads.
        let readable = try await NIOThreadPool.singleton.runIfActive { ReadableMessage(data) }
        return page(.ok, InboxPages.message(user: user.address, csrf: session.csrfToken, queueID: stored.envelope.queueID,
                                            message: readable, recipients: recipients,
                                            receivedAt: stored.envelope.receivedAt, size: stored.size))
    }

    private func part(_ request: Request, _ context: InboxRequestContext) async throws -> Response {
        guard let (_, user) = try await session(of: request) else { return redirect(to: "/login") }
        let id = context.parameters.get("id") ?? ""
        guard let index = context.parameters.get("index", as: Int.self),
              let (stored, _) = try await visibleMessage(id, to: user),
              let data = try await store.messageData(of: stored.envelope.queueID),
              let (fileName, body) = try await NIOThreadPool.singleton.runIfActive({ ReadableMessage.part(index, of: data) })
        else { return notFound() }
        logger.notice("inbox attachment download", metadata: [
            "user": "\(user.address)", "client": "\(context.clientAddress)", "queue_id": "\(id)", "part": "\(index)"])
        // Never the declared type: an attachment is downloaded, not rendered by the browser.
        return Response(status: .ok, headers: [
            .contentType: "application/octet-stream",
            .contentDisposition: AttachmentName.contentDisposition(fileName),
        ], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The message when one of its pending recipients is the user's, with only the user's own
    /// addresses among its recipients (the others, Bcc included, stay private). Nil otherwise,
    /// exactly as for a queue ID that does not exist.
    private func visibleMessage(_ id: String, to user: InboxUser) async throws -> (StoredEnvelope, [String])? {
        guard let queueID = QueueID(rawValue: id), let stored = try await store.envelope(of: queueID) else { return nil }
        let mine = Set(user.addresses.map { Array($0.utf8) })
        let own = stored.recipients.filter {
            ($0.state == .queued || $0.state == .deferred) && mine.contains(Array(InboxUser.normalized($0.recipient.address).utf8))
        }.map(\.recipient.address)
        return own.isEmpty ? nil : (stored, own)
    }

    // MARK: Pieces

    /// A typed user name for the log: controls become "?", so a name cannot forge log lines.
    static func loggable(_ name: String) -> String {
        String(String.UnicodeScalarView(name.unicodeScalars.map { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) ? "?" : $0 }))
    }

    private func session(of request: Request) async throws -> (InboxSession, InboxUser)? {
        guard let key = request.cookies[Self.sessionCookie]?.value, SessionToken.isWellFormed(key),
              let session = try await store.inboxSession(key: SessionToken.storedKey(key), now: Date()),
              let user = try await store.inboxUser(address: session.address) else { return nil }
        return (session, user)
    }

    /// A form body, at most `maxRequestBody` bytes (413 beyond); nil when it does not parse.
    private func form<Form: Decodable>(_ type: Form.Type, of request: Request) async throws -> Form? {
        var request = request
        let body = try await request.collectBody(upTo: BackstopDefaults.Inbox.maxRequestBody)
        return try? URLEncodedFormDecoder().decode(Form.self, from: String(buffer: body))
    }

    private func cookie(_ name: String, _ value: String, maxAge: Int) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/", secure: true, httpOnly: true, sameSite: .strict)
    }

    private func page(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    private func redirect(to location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    private func notFound() -> Response {
        page(.notFound, InboxPages.problem(title: "No such message",
                                           text: "There is no message here with that number for you."))
    }

    private func refusedForm() -> Response {
        page(.forbidden, InboxPages.problem(title: "This form has expired",
                                            text: "Open the page again and repeat what you did."))
    }
}

struct LoginForm: Decodable {
    var username: String?
    var password: String?
    var totp: String?
    var csrf: String?
}

struct LogoutForm: Decodable {
    var csrf: String?
}
