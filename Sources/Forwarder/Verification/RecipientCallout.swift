import SMTPProtocol

/// What a primary said when asked whether it would take mail for an address.
public enum CalloutAnswer: Hashable, Sendable, CustomStringConvertible {
    /// RCPT was answered 2xx: the address exists.
    case accepted(SMTPReply)
    /// RCPT was answered 5xx: the address does not exist (or is refused for good).
    case refused(SMTPReply)
    /// The primary said nothing final: a 4xx, a refused `MAIL FROM:<>`, a timeout after the
    /// greeting, or an address it cannot take without SMTPUTF8.
    case inconclusive(String)
    /// No session could be opened: the host is as good as down.
    case unreachable(ConnectionFailure)

    public var description: String {
        switch self {
        case .accepted(let reply): return "accepted: \(reply)"
        case .refused(let reply): return "refused: \(reply)"
        case .inconclusive(let why): return "inconclusive: \(why)"
        case .unreachable(let failure): return "unreachable: \(failure)"
        }
    }
}

extension SMTPClient {
    /// A recipient callout: connect, `MAIL FROM:<>`, `RCPT TO:<address>`, `RSET`, `QUIT`. No
    /// message is sent. The null sender is what the primary would see from a bounce, so a
    /// primary that refuses it cannot be asked at all (inconclusive). Every step, connecting
    /// included, is under `timeout`: a sender is waiting at its RCPT meanwhile.
    public func callout(_ address: String, to host: PrimaryHost, timeout: Duration) async -> CalloutAnswer {
        let session: SMTPSession
        do {
            session = try await connect(to: host, timeouts: .uniform(timeout))
        } catch {
            return error.isHostLevel ? .unreachable(error) : .inconclusive(error.description)
        }
        let answer = await session.verifyRecipient(address)
        await session.quit()
        return answer
    }
}

extension SMTPSession {
    /// The callout's transaction on an open session; it ends with RSET, so the session is clean.
    func verifyRecipient(_ address: String) async -> CalloutAnswer {
        if let failure { return .inconclusive(failure.description) }
        var mail = "MAIL FROM:<>"
        if address.unicodeScalars.contains(where: { !$0.isASCII }) {
            guard capabilities.smtpUTF8 else {
                return .inconclusive("the address needs SMTPUTF8 and the primary does not offer it")
            }
            mail += " SMTPUTF8"
        }
        do throws(ConnectionFailure) {
            connection.send(mail)
            let mailReply = try await connection.readReply(.mail, timeout: timeouts.mail)
            guard mailReply.code / 100 == 2 else {
                return .inconclusive("the primary refused the null sender: \(mailReply)")
            }
            connection.send("RCPT TO:<\(address)>")
            let reply = try await connection.readReply(.rcpt, timeout: timeouts.rcpt)
            connection.send("RSET")
            // The answer is in; a primary that fumbles RSET changes nothing about it.
            _ = try? await connection.readReply(.rset, timeout: timeouts.rset)
            switch reply.code / 100 {
            case 2: return .accepted(reply)
            case 5: return .refused(reply)
            default: return .inconclusive("\(reply)")
            }
        } catch {
            failure = error
            return .inconclusive(error.description)
        }
    }
}
