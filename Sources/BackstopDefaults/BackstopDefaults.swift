// Every default value Backstop runs with, written once. The configuration's `.defaults`
// (BackstopConfig) read the configurable ones from here, and the lower modules' inits take
// the rest, so `backstop serve` without a file runs exactly these. config/backstop.toml and
// the README's configuration table repeat the configurable ones; tests keep them equal.
// No dependencies, not even Foundation: every module may import it.

/// Backstop's defaults and fixed tunables, grouped by where they act.
public enum BackstopDefaults {
    /// The SMTP listener (`[server]`) and its sessions.
    public enum Server {
        /// Loopback and an unprivileged port, so an unconfigured Backstop takes nobody's mail.
        public static let listenHost = "127.0.0.1"
        public static let listenPort = 2525
        /// 50 MiB: what the large hosted mail services accept.
        public static let maxMessageSize = 52_428_800
        /// RFC 5321 §4.5.3.1.8 requires at least 100.
        public static let maxRecipients = 100
        /// Connections at once, across all clients.
        public static let maxConnections = 1000
        /// Per IPv4 address or IPv6 /64, so one sender cannot take every connection.
        public static let maxConnectionsPerIP = 20
        /// Bad commands before the session is closed: a client that keeps failing is a probe.
        public static let maxErrors = 20
        /// RFC 5321 §4.5.3.1.6: a text line is at most 1000 octets with CRLF.
        public static let maxLineLength = 1000
        /// RFC 5321 §4.5.3.1.4: a command line is at most 512 octets with CRLF.
        public static let maxCommandLength = 512
        /// RFC 5321 §6.3 loop guard: more `Received:` fields than this is a loop.
        public static let maxHops = 100
        /// RFC 5321 §4.5.3.2.7: the server waits at least 5 minutes for a command.
        public static let commandTimeout: Duration = .seconds(5 * 60)
        /// RFC 5321 §4.5.3.2.2 (DATA initiation): 2 minutes.
        public static let dataInitiationTimeout: Duration = .seconds(2 * 60)
        /// RFC 5321 §4.5.3.2.3 (data block): 3 minutes.
        public static let dataBlockTimeout: Duration = .seconds(3 * 60)
        /// Bytes a second content must average: a slow sender is fine, a trickle that holds a
        /// connection for hours is not.
        public static let minDataRate = 500
        /// How long open sessions may finish on shutdown before they are closed.
        public static let shutdownGrace: Duration = .seconds(30)
        /// 256 KiB of a message stay in memory; the rest goes to a file in the spool directory.
        public static let memoryBodyLimit = 262_144
        /// Bytes of replies waiting for the socket past which a session is closed: a session
        /// stops reading while its client does not read, far below this.
        public static let maxPendingOutput = 65_536
        /// How long the reply before a close may take to go out; then the connection is
        /// closed regardless, so a client that never reads cannot hold it open.
        public static let closeLinger: Duration = .seconds(10)
        /// Content bytes waiting to be written to disk past which a session stops reading the
        /// socket: bounds memory per session whatever the disk's speed.
        public static let maxBytesInFlight = 4 << 20
    }

    /// Relay policy and recipient verification (`[relay]`).
    public enum Relay {
        /// A reserved name (RFC 2606), so that an unconfigured Backstop relays nobody's mail.
        public static let domain = "example.test"
        /// An address the primary accepted stays known for a month: mailboxes rarely vanish.
        public static let verifyPositiveTTL: Duration = .seconds(31 * 86_400)
        /// An unknown user is asked about again after 3 hours: new mailboxes appear.
        public static let verifyNegativeTTL: Duration = .seconds(3 * 3600)
        /// An unverifiable address is accepted while the primary is down: a lost message is
        /// worse than a rare bounce.
        public static let tempfailUnknownWhenDown = false
        /// Callouts a minute per client network: enough for a sender's fan-out to one domain,
        /// too few to enumerate users or hammer the primary.
        public static let verifyRate = 30
        /// Client networks the callout rate remembers at once; a bound on its memory.
        public static let calloutRateClients = 10_000
    }

    /// The spool database and its retry schedule (`[spool]`).
    public enum Spool {
        /// Relative to the working directory, as the systemd unit sets it.
        public static let path = "spool/backstop.sqlite"
        /// First retry after 5 minutes: most deferrals are short.
        public static let retryMin: Duration = .seconds(5 * 60)
        /// Retries at least hourly, so a recovered primary does not wait long.
        public static let retryMax: Duration = .seconds(3600)
        /// RFC 5321 §4.5.4.1 suggests 4-5 days before giving up.
        public static let maxAge: Duration = .seconds(5 * 86_400)
        /// Share of a retry delay taken off at random, so messages deferred together spread out.
        public static let retryJitter = 0.2
        /// Long enough for a sender that timed out after our 250 to retry once or twice, short
        /// enough that a legitimate resend is never swallowed.
        public static let dedupWindow: Duration = .seconds(10 * 60)
        /// Delivery log, health history and verdicts are kept a month for `backstop status`.
        public static let historyRetention: Duration = .seconds(30 * 86_400)
        /// How long a statement waits for another process's lock (an operator command) before
        /// it reports busy.
        public static let busyTimeout: Duration = .seconds(5)
        /// Disk space kept free beside the database, given up to record delivery outcomes on a
        /// full disk.
        public static let reserveBytes = 8 << 20
        /// The WAL is cut back to this after a checkpoint; otherwise it keeps the size of the
        /// largest batch ever written.
        public static let journalSizeLimit = 64 << 20
        /// First wait before an outcome that could not be written is tried again.
        public static let recordingRetryFirstDelay: Duration = .milliseconds(100)
        /// The longest wait between tries of an outcome.
        public static let recordingRetryLongestDelay: Duration = .seconds(30)
        /// How often expired history and verdicts are pruned and the space reserve remade.
        public static let maintenanceInterval: Duration = .seconds(3600)
        /// Rows a prune deletes per transaction: a large first prune must not hold the writer
        /// (and so every arriving message's commit) for long.
        public static let pruneBatchSize = 5000
    }

    /// Mail authentication in the session (`[auth]`, `[arc]`).
    public enum Auth {
        /// SPF of MAIL FROM and HELO, DKIM, DMARC: each checked and recorded for the primary.
        public static let spf = true
        public static let dkim = true
        public static let dmarc = true
        /// A DMARC failure of a p=reject domain is refused at the end of DATA.
        public static let rejectDMARC = true
        /// Debian's `publicsuffix` package, for DMARC's organisational domains.
        public static let publicSuffixList = "/usr/share/publicsuffix/public_suffix_list.dat"
        /// What an ARC-Message-Signature covers: the fields a reader sees and DKIM signs.
        public static let arcSignedHeaders = ["From", "To", "Cc", "Subject", "Date", "Message-ID", "Reply-To",
                                              "MIME-Version", "Content-Type", "Content-Transfer-Encoding", "DKIM-Signature"]
    }

    /// The shared queue in PostgreSQL (`[spool] url`).
    public enum Postgres {
        /// PostgreSQL's port.
        public static let port = 5432
        /// Connections each node keeps to the server at most: intake's group commits take
        /// `intakeWriters`, claims, outcomes and operator queries share the rest.
        public static let maxConnections = 8
        /// Group commits written at the same time, each on its own connection: while one waits
        /// for its COMMIT's WAL flush, the next is sent.
        public static let intakeWriters = 2
        /// The longest wait for a pooled connection: past it the server counts as unreachable,
        /// and a sender gets `451 4.3.0` instead of waiting on an outage of the database.
        public static let connectionWait: Duration = .seconds(5)
        /// Bytes of a message per `message_chunk` row, as in the SQLite spool: reads by offset
        /// fetch only the rows they touch, and no message is held in memory whole.
        public static let chunkSize = 1 << 20
    }

    /// The primary hosts and the client that talks to them (`[primary]`).
    public enum Primary {
        /// SMTP's port (RFC 5321 §4.5.4.2).
        public static let port = 25
        /// A probe every 30 s: an outage is seen within about a minute and a half.
        public static let checkInterval: Duration = .seconds(30)
        /// Share of the interval added or taken off at random, so Backstops do not probe in step.
        public static let checkJitter = 0.1
        /// Failed probes in a row before a host counts as down: one lost packet is no outage.
        public static let downAfter = 3
        /// Good probes in a row before a host counts as up again.
        public static let upAfter = 2
        /// Each step of a probe; capped at `check_interval` when that is shorter.
        public static let probeTimeout: Duration = .seconds(10)
        /// Connections at once per route, at full replay speed.
        public static let maxConnections = 4
        /// Messages a second to the primary; 0: unlimited.
        public static let maxRate = 0
        /// Connecting and the greeting.
        public static let connectTimeout: Duration = .seconds(30)
        /// Each command's reply (RFC 5321 §4.5.3.2: 5 minutes).
        public static let commandTimeout: Duration = .seconds(5 * 60)
        /// Sending the content and the reply after the final dot (RFC 5321 §4.5.3.2.6: 10 minutes).
        public static let dataTimeout: Duration = .seconds(10 * 60)
        /// Octets of one reply line from a server. RFC 5321 §4.5.3.1.5 says 512; real servers
        /// send longer, so this allows more while still bounding memory.
        public static let maxReplyLineLength = 4096
        /// Lines of one multiline reply (an EHLO reply lists a few dozen at most).
        public static let maxReplyLines = 256
    }

    /// Replaying the spool to the primaries.
    /// Nodes that share a PostgreSQL spool (`[cluster]`).
    public enum Cluster {
        /// A dead node's in-flight mail waits at most this long (plus one claim interval)
        /// before another node takes it; a live node renews its leases three times as often.
        public static let leaseTimeout: Duration = .seconds(60)
        /// A node whose heartbeat is this many lease timeouts old is shown as stopped.
        public static let stoppedAfterTimeouts = 1
    }

    public enum Replay {
        /// Replay opens with one connection at this many messages a second (Postfix's slow
        /// open): a primary just back from an outage is not flooded, and one that takes the
        /// mail is at full speed within about half a second.
        public static let slowStartRate = 50.0
        /// Accepted messages in a row after which the rate doubles and a connection is added.
        public static let widenAfter = 10
        /// Messages claimed for, and sent over, one connection: one claim per batch, and a
        /// lease that covers the batch.
        public static let messagesPerConnection = 50
        /// Longer than any delivery of one batch can take; only matters after a crash.
        public static let leaseDuration: Duration = .seconds(3600)
        /// How often an idle route looks for messages whose retry time has come; new mail
        /// wakes it at once.
        public static let idlePoll: Duration = .seconds(1)
        /// Pause of a route after a connection-level failure, unless a host comes up first.
        public static let connectionBackoff: Duration = .seconds(10)
        /// Messages claimed at once to expire or to warn of delay: bounds one transaction.
        public static let maintenanceClaimLimit = 100
        /// Messages delivered at the same time on a route resolved per message (DSNs to MXs).
        public static let resolvedRouteConcurrency = 4
    }

    /// Delivery status notifications (RFC 3464).
    public enum DSN {
        /// A larger original is returned as headers only, whatever RET says: a bounce should
        /// not carry a large message back to a possibly forged sender.
        public static let maxReturnedSize = 256 * 1024
        /// Of an original returned as headers only, this much is read to find its header.
        public static let headerExcerptSize = 64 * 1024
    }

    /// The admin HTTP server (`[admin]`).
    public enum Admin {
        /// Local only: metrics and status for this machine's monitoring.
        public static let listenHost = "127.0.0.1"
        public static let listenPort = 9425
        /// Admin connections served at once; more are closed unanswered: they share the
        /// process's descriptors with the SMTP listener.
        public static let maxConnections = 64
        /// A client that sends no complete request within this long is dropped.
        public static let requestTimeout: Duration = .seconds(15)
        /// The status page plots queue depth over the last day: an outage and its drain fit.
        public static let queueDepthSpan: Duration = .seconds(86_400)
        /// The drain estimate's replay rate is measured over this long: long enough to smooth
        /// the slow start, short enough to follow a primary that slows down.
        public static let replayRateWindow: Duration = .seconds(600)
        /// Delivery times the replay rate keeps (a ring): fixed memory, still a fair sample.
        public static let replayRateSamples = 4096
    }

    /// Operator notifications (`[notify]`).
    public enum Notify {
        /// Messages queued past which a notification goes out.
        public static let queueThreshold = 1000
        /// Age of the oldest queued message past which a notification goes out.
        public static let ageThreshold: Duration = .seconds(3600)
        /// How often the queue is measured against the thresholds and for the status page.
        public static let queueWatchInterval: Duration = .seconds(10)
        /// First wait before a failed webhook or command is tried again; the wait doubles.
        public static let firstRetry: Duration = .seconds(1)
        /// The longest wait between tries of one notification.
        public static let longestRetryWait: Duration = .seconds(60)
        /// A notification still failing after this long is dropped: it is stale by then.
        public static let giveUpAfter: Duration = .seconds(600)
        /// Events waiting for one target; more push out its oldest, so a dead webhook costs
        /// bounded memory.
        public static let backlogLimit = 100
        /// Connecting to a webhook.
        public static let webhookConnectTimeout: Duration = .seconds(5)
        /// The whole exchange with a webhook after connecting.
        public static let webhookResponseTimeout: Duration = .seconds(10)
        /// The most of a webhook's answer that is read; only its status code matters.
        public static let webhookMaxAnswerBytes = 65_536
    }

    /// `[inbox]`: the emergency web inbox.
    public enum Inbox {
        /// Empty: the inbox is off.
        public static let listen = ""
        /// How long a sign-in lasts.
        public static let sessionLifetime: Duration = .seconds(8 * 3600)
        /// How long a journal copy (`journal_address`) is kept for the inbox.
        public static let journalRetention: Duration = .seconds(7 * 86_400)
        /// Bytes of a journal copy read for its recipients: the report part or the header.
        public static let journalOpeningBytes = 65_536
        /// bcrypt's work factor for new passwords: 2^12 rounds, about a quarter second.
        public static let bcryptCost: UInt8 = 12
        /// Threads that hash passwords, apart from the spool's file I/O: a burst of sign-ins
        /// (an attacker's, say) costs the inbox time, never the mail.
        public static let hashingThreads = 1
        /// Sign-ins waiting for a hashing thread before more are refused at once.
        public static let maxPendingHashes = 32
        /// Failed sign-ins per user or client address within `throttleWindow` before refusals.
        public static let throttleFailures = 5
        public static let throttleWindow: Duration = .seconds(15 * 60)
        /// How long sign-in is refused (429) once a user or address is throttled.
        public static let throttleBlock: Duration = .seconds(15 * 60)
        /// Bound of a request body (sign-in and sign-out forms).
        public static let maxRequestBody = 8192
        /// Messages on one page of the list.
        public static let pageSize = 50
        /// TOTP codes also accepted from the step before and after, for clock drift.
        public static let totpDriftSteps = 1
        /// Throttle entries kept before the oldest are dropped, so the table has a bound.
        public static let throttleEntries = 100_000
    }

    /// The resolver every lookup goes through (`[dns]`): DNSBLs, MX routing of DSNs.
    public enum DNS {
        /// Seconds libresolv waits for each try: DNSBL lookups run during the greeting delay,
        /// so a slow list costs a session seconds, not minutes.
        public static let timeout: Duration = .seconds(2)
        /// Tries per server before a lookup is a temporary failure.
        public static let attempts = 2
        /// Answers the cache keeps; past this the one closest to expiry goes first.
        public static let cacheEntries = 10_000
        /// The longest an answer is kept, whatever its TTL says.
        public static let maxCacheTTL: Duration = .seconds(3600)
        /// NXDOMAIN and NODATA are kept this long: most DNSBL lookups are for clean clients.
        public static let negativeCacheTTL: Duration = .seconds(60)
        /// Threads for blocking lookups (DNS lists at connect, DSN routing), apart from the spool's.
        public static let lookupThreads = 4
        /// Lookups that may wait for a thread before more fail as temporary errors.
        public static let maxPendingLookups = 256
    }

    /// Connect-time reputation (`[reputation]`).
    public enum Reputation {
        /// The score at which a client is refused, when any list is configured.
        public static let rejectScore = 1.0
        /// The weight of a DNSBL hit that gives none.
        public static let dnsblWeight = 1.0
        /// The weight of a DNSWL hit that gives none.
        public static let dnswlWeight = -1.0
        /// No greeting delay unless configured: it costs every client that long.
        public static let pregreet: Duration = .zero
        /// How often the last hour's refusals are written beside the spool for `backstop status`.
        public static let refusalFileInterval: Duration = .seconds(5)
    }

    /// Per-client rates (`[limits]`); 0 turns a limit off.
    public enum Limits {
        public static let messagesPerIPPerMinute = 0
        public static let recipientsPerIPPerMinute = 0
        /// Unknown recipients an address may draw in `harvestWindow` before it is refused.
        public static let unknownRecipientsPerIP = 20
        public static let harvestWindow: Duration = .seconds(3600)
        /// Client addresses whose counts are kept; the oldest go first.
        public static let trackedClients = 100_000
    }

    /// The content filter (`[filter]`): rspamd, asked at the end of DATA.
    public enum Filter {
        /// How long the sender's end of DATA may wait for rspamd's answer.
        public static let timeout: Duration = .seconds(10)
        /// No answer means 451: an unscanned message is never let through unless chosen.
        public static let tempfailOnError = true
        /// The largest answer read from rspamd; its JSON for one message is a few KiB.
        public static let maxAnswerBytes = 1 << 20
    }

    /// Greylisting (`[greylist]`), off unless enabled.
    public enum Greylist {
        public static let enabled = false
        /// postgrey's default wait before a retried triple passes.
        public static let delay: Duration = .seconds(300)
        /// postgrey's max-age: a triple unseen this long is forgotten.
        public static let retention: Duration = .seconds(36 * 86_400)
    }
}
