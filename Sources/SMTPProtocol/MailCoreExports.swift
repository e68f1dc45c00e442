// Replies and enhanced status codes are plain values in MailCore; this module parses and
// writes them on the wire, so every user of the protocol sees both.
@_exported import MailCore
