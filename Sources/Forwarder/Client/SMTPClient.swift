import BackstopDefaults
import MailDNS
import MailNames
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import SMTPProtocol

/// How Backstop talks to a primary.
public struct SMTPClientConfiguration: Sendable {
    /// Our host name: the EHLO argument, and the name that means "this is us" in a greeting.
    public var hostname: String
    public var tls: TLSPolicy
    public var timeouts: SMTPTimeouts
    /// Each step of a health probe: connect, greeting, EHLO, QUIT.
    public var probeTimeout: Duration

    public init(hostname: String, tls: TLSPolicy, timeouts: SMTPTimeouts = .defaults,
                probeTimeout: Duration = BackstopDefaults.Primary.probeTimeout) {
        self.hostname = hostname
        self.tls = tls
        self.timeouts = timeouts
        self.probeTimeout = probeTimeout
    }
}

/// Opens SMTP sessions to primary hosts: greeting, EHLO (HELO as fallback), STARTTLS per the TLS
/// policy, loop detection. Also the HealthMonitor's probe.
public struct SMTPClient: HealthProbe {
    public let configuration: SMTPClientConfiguration
    private let group: any EventLoopGroup
    private let tlsContext: NIOSSLContext?
    private let logger: Logger
    /// Told of every EHLO reply a primary gives, to probes and deliveries alike.
    public var capabilityObserver: (any CapabilityObserver)?

    /// Throws when the TLS configuration cannot be loaded (for example an unreadable `ca_file`),
    /// so a bad setting stops the start rather than every delivery.
    public init(configuration: SMTPClientConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                logger: Logger = Logger(label: "backstop.forwarder.client")) throws {
        self.configuration = configuration
        self.group = group
        self.logger = logger
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        switch configuration.tls {
        case .verify(let caFile):
            tls.certificateVerification = .fullVerification
            if let caFile { tls.trustRoots = .file(caFile) }
            tlsContext = try NIOSSLContext(configuration: tls)
        case .opportunistic:
            tls.certificateVerification = .none
            tlsContext = try NIOSSLContext(configuration: tls)
        case .none:
            tlsContext = nil
        }
    }

    /// Connects and greets; the session is ready for `deliver`.
    public func connect(to host: PrimaryHost) async throws(ConnectionFailure) -> SMTPSession {
        try await connect(to: host, timeouts: configuration.timeouts)
    }

    /// Connects and greets with every step under `timeouts` (a callout's are short).
    func connect(to host: PrimaryHost, timeouts: SMTPTimeouts) async throws(ConnectionFailure) -> SMTPSession {
        do {
            return try await open(host, tls: configuration.tls, timeouts: timeouts)
        } catch {
            guard case .tlsFailed(let why) = error, configuration.tls == .opportunistic else { throw error }
            logger.warning("TLS to the primary failed; reconnecting in plaintext as tls = \"opportunistic\" allows",
                           metadata: ["host": "\(host)", "reason": "\(why)"])
            return try await open(host, tls: .none, timeouts: timeouts)
        }
    }

    /// One health probe: connect, 220 greeting, EHLO answered 250, QUIT; nil when all went well.
    public func probe(_ host: PrimaryHost) async -> ConnectionFailure? {
        let timeouts = SMTPTimeouts.uniform(configuration.probeTimeout)
        let connection: SMTPConnection
        do {
            connection = try await SMTPConnection.open(to: host, group: group, timeout: timeouts.connect)
        } catch {
            return error
        }
        do throws(ConnectionFailure) {
            _ = try await greet(connection, timeouts: timeouts)
            connection.send("EHLO \(configuration.hostname)")
            let reply = try await connection.readReply(.ehlo, timeout: timeouts.ehlo)
            guard reply.code / 100 == 2 else { throw ConnectionFailure.helloRejected(reply) }
            try checkLoop(reply)
            capabilityObserver?.observed(EHLOCapabilities(ehloReply: reply), of: host, secure: false)
            connection.send("QUIT")
            _ = try? await connection.readReply(.quit, timeout: timeouts.quit)
            await connection.close()
            return nil
        } catch {
            await connection.close()
            return error
        }
    }

    private func open(_ host: PrimaryHost, tls: TLSPolicy, timeouts: SMTPTimeouts) async throws(ConnectionFailure) -> SMTPSession {
        let connection = try await SMTPConnection.open(to: host, group: group, timeout: timeouts.connect)
        do throws(ConnectionFailure) {
            let greeting = try await greet(connection, timeouts: timeouts)
            var capabilities = try await hello(connection, timeouts: timeouts)
            var secure = false
            if let context = tlsContext, tls != .none {
                if capabilities.startTLS {
                    connection.send("STARTTLS")
                    let reply = try await connection.readReply(.startTLS, timeout: timeouts.startTLS)
                    guard reply.code == 220 else { throw ConnectionFailure.tlsFailed("the primary refused STARTTLS: \(reply)") }
                    let name = host.isIPAddressLiteral ? nil : Self.withoutTrailingDot(host.name)
                    try await connection.startTLS(context: context, serverHostname: name, timeout: timeouts.startTLS)
                    // RFC 3207 §4.2: forget what was learnt before TLS and ask again.
                    capabilities = try await hello(connection, timeouts: timeouts)
                    secure = true
                } else if case .verify = tls {
                    throw ConnectionFailure.tlsFailed(
                        "the primary does not offer STARTTLS and [primary] tls = \"verify\" requires it")
                }
            }
            capabilityObserver?.observed(capabilities, of: host, secure: secure)
            return SMTPSession(connection: connection, host: host, greeting: greeting, capabilities: capabilities,
                               isSecure: secure, timeouts: timeouts, logger: logger)
        } catch {
            if case .greeting = error { connection.send("QUIT") }
            await connection.close()
            throw error
        }
    }

    private func greet(_ connection: SMTPConnection, timeouts: SMTPTimeouts) async throws(ConnectionFailure) -> SMTPReply {
        let greeting = try await connection.readReply(.greeting, timeout: timeouts.greeting)
        guard greeting.code == 220 else { throw .greeting(greeting) }
        try checkLoop(greeting)
        return greeting
    }

    /// EHLO, or HELO when EHLO gets a 5xx (RFC 5321 §3.2); HELO means no extensions.
    private func hello(_ connection: SMTPConnection, timeouts: SMTPTimeouts) async throws(ConnectionFailure) -> EHLOCapabilities {
        connection.send("EHLO \(configuration.hostname)")
        let reply = try await connection.readReply(.ehlo, timeout: timeouts.ehlo)
        if reply.code / 100 == 2 {
            try checkLoop(reply)
            return EHLOCapabilities(ehloReply: reply)
        }
        guard reply.isPermanentFailure else { throw .helloRejected(reply) }
        connection.send("HELO \(configuration.hostname)")
        let helo = try await connection.readReply(.helo, timeout: timeouts.ehlo)
        guard helo.code / 100 == 2 else { throw .helloRejected(helo) }
        try checkLoop(helo)
        return EHLOCapabilities()
    }

    /// The first word of a greeting or EHLO reply is the server's own name (RFC 5321 §4.1.1.1,
    /// §4.2). Only that word is compared: the rest of an EHLO reply often names the client,
    /// which is us, and means nothing.
    private func checkLoop(_ reply: SMTPReply) throws(ConnectionFailure) {
        guard let word = reply.lines.first?.split(separator: " ").first else { return }
        // Byte for byte after ASCII lowercasing, as DNS compares names (RFC 4343).
        if MailScalars.same(Self.comparable(String(word)), Self.comparable(configuration.hostname)) {
            throw .loopDetected(peerName: String(word))
        }
    }

    private static func comparable(_ name: String) -> String {
        MailScalars.asciiLowercased(withoutTrailingDot(name))
    }

    private static func withoutTrailingDot(_ name: String) -> String {
        name.unicodeScalars.last == "." ? String(Substring(name.unicodeScalars.dropLast())) : name
    }
}

/// Checks whether a primary host answers like a mail server.
public protocol HealthProbe: Sendable {
    /// Nil when the host is healthy; otherwise why not.
    func probe(_ host: PrimaryHost) async -> ConnectionFailure?
}
