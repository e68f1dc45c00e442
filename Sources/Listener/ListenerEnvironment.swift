import Logging
import SMTPProtocol
import NIOCore
import NIOPosix
import NIOSSL
import Spool
import SpoolContract
import BackstopSync

/// What every session of a listener shares. The reloadable part (policy, TLS) is swapped
/// whole on SIGHUP; a session keeps the snapshot it started with.
public final class ListenerEnvironment: Sendable {
    public struct Reloadable: Sendable {
        public var policy: RelayPolicy
        public var tls: NIOSSLContext?

        public init(policy: RelayPolicy, tls: NIOSSLContext?) {
            self.policy = policy
            self.tls = tls
        }
    }

    public let settings: SessionSettings
    /// Where finished messages are committed.
    public let store: any MessageStore
    /// Where large message bodies are written while they arrive.
    public let incomingDirectory: String
    /// Runs the blocking work of sessions: spilled message bodies.
    public let threadPool: NIOThreadPool
    /// The file system calls for spilled message bodies, made on `threadPool`.
    public let spillFileOperations: any SpillFileOperations
    public let logger: Logger
    public let limits: ConnectionLimits
    public let sessions = SessionRegistry()
    /// Told after each message is committed, so the forwarder can pass it on at once.
    public let messageStored: @Sendable () -> Void
    /// True while new mail should go to the primary instead (`accept_when = "primary-down"`).
    public let primaryTakesMail: @Sendable () -> Bool
    /// What the primaries can take (SIZE, SMTPUTF8, 8BITMIME) as last learnt; nil: nothing is
    /// known, and sessions offer Backstop's own limits. Read at each EHLO, on the event loop:
    /// it must answer from memory.
    public let primaryLimits: @Sendable () -> OfferedExtensions?
    /// Asked about recipients the relay policy leaves to verification (`[relay] verify`);
    /// without one, such recipients are accepted.
    public let recipientVerifier: (any RecipientVerifier)?
    /// DNS lists, greeting delay and per-address rates; nil: none of them.
    public let clientChecks: ClientChecks?
    /// Checks SPF, DKIM, DMARC and ARC of each message (`[auth]`); nil checks nothing.
    public let authenticator: MessageAuthenticator?
    /// Journal copies for the inbox (`[inbox] journal_address`); nil takes none.
    public let journal: JournalIntake?
    /// Shows each message to a content filter before it is stored (`[filter]`); nil: none.
    public let contentFilter: ContentFiltering?
    /// Greylisting at RCPT (`[greylist]`); nil: off.
    public let greylist: Greylist?
    private let reloadable: Locked<Reloadable>

    public init(settings: SessionSettings, reloadable: Reloadable, store: any MessageStore, incomingDirectory: String,
                threadPool: NIOThreadPool, limits: ConnectionLimits, logger: Logger,
                primaryLimits: @escaping @Sendable () -> OfferedExtensions?,
                messageStored: @escaping @Sendable () -> Void = {},
                primaryTakesMail: @escaping @Sendable () -> Bool = { false },
                recipientVerifier: (any RecipientVerifier)? = nil,
                clientChecks: ClientChecks? = nil,
                authenticator: MessageAuthenticator? = nil,
                journal: JournalIntake? = nil,
                contentFilter: ContentFiltering? = nil,
                greylist: Greylist? = nil,
                spillFileOperations: any SpillFileOperations = POSIXSpillFileOperations()) {
        self.spillFileOperations = spillFileOperations
        self.recipientVerifier = recipientVerifier
        self.clientChecks = clientChecks
        self.authenticator = authenticator
        self.journal = journal
        self.contentFilter = contentFilter
        self.greylist = greylist
        self.messageStored = messageStored
        self.primaryTakesMail = primaryTakesMail
        self.primaryLimits = primaryLimits
        self.settings = settings
        self.reloadable = Locked(reloadable)
        self.store = store
        self.incomingDirectory = incomingDirectory
        self.threadPool = threadPool
        self.limits = limits
        self.logger = logger
    }

    public var current: Reloadable { reloadable.withLock { $0 } }

    public func reload(_ new: Reloadable) {
        reloadable.withLock { $0 = new }
    }
}
