import BackstopDefaults

/// What one SMTP session needs to know about the server it belongs to.
public struct SessionSettings: Sendable {
    public var hostname: String
    public var maxMessageSize: Int
    public var maxRecipients: Int
    public var maxErrors: Int
    /// RFC 5321 §6.3 loop guard: more `Received:` fields than this is a loop.
    public var maxHops: Int
    public var maxCommandLength: Int
    public var maxLineLength: Int
    /// Message bytes kept in memory before the rest goes to a temporary file.
    public var memoryBodyLimit: Int
    public var commandTimeout: Duration
    /// From the 354 reply to the first content.
    public var dataInitiationTimeout: Duration
    /// Between blocks of content.
    public var dataTimeout: Duration
    /// Bytes a second that content must average: each byte received buys `1 / minDataRate`
    /// seconds, never more than `dataTimeout` ahead. 0: every block buys `dataTimeout`.
    public var minDataRate: Int
    /// Replies written but not yet taken by the socket past which the session is closed. A
    /// client that does not read its replies is not read from either (the channel turns
    /// unwritable well below this), so only a layer that buffers without saying so gets here.
    public var maxPendingOutput: Int
    /// How long the last reply before a close may take to go out; then the connection is
    /// closed regardless, so a client that never reads cannot hold it open.
    public var closeLinger: Duration

    public init(hostname: String, maxMessageSize: Int = BackstopDefaults.Server.maxMessageSize,
                maxRecipients: Int = BackstopDefaults.Server.maxRecipients,
                maxErrors: Int = BackstopDefaults.Server.maxErrors, maxHops: Int = BackstopDefaults.Server.maxHops,
                maxCommandLength: Int = BackstopDefaults.Server.maxCommandLength,
                maxLineLength: Int = BackstopDefaults.Server.maxLineLength,
                memoryBodyLimit: Int = BackstopDefaults.Server.memoryBodyLimit,
                commandTimeout: Duration = BackstopDefaults.Server.commandTimeout,
                dataInitiationTimeout: Duration = BackstopDefaults.Server.dataInitiationTimeout,
                dataTimeout: Duration = BackstopDefaults.Server.dataBlockTimeout,
                minDataRate: Int = BackstopDefaults.Server.minDataRate,
                maxPendingOutput: Int = BackstopDefaults.Server.maxPendingOutput,
                closeLinger: Duration = BackstopDefaults.Server.closeLinger) {
        self.maxPendingOutput = maxPendingOutput
        self.closeLinger = closeLinger
        self.hostname = hostname
        self.maxMessageSize = maxMessageSize
        self.maxRecipients = maxRecipients
        self.maxErrors = maxErrors
        self.maxHops = maxHops
        self.maxCommandLength = maxCommandLength
        self.maxLineLength = maxLineLength
        self.memoryBodyLimit = memoryBodyLimit
        self.commandTimeout = commandTimeout
        self.dataInitiationTimeout = dataInitiationTimeout
        self.dataTimeout = dataTimeout
        self.minDataRate = minDataRate
    }
}
