import BackstopConfig
import BackstopDefaults
import Listener
import MailDNS

extension ClientChecks {
    /// `[reputation]` and `[limits]` as the listener's checks: lists only when configured,
    /// rates only when one is set, asked through the server's one resolver.
    static func configured(_ configuration: BackstopConfiguration, dns: any DNSQuerier, refusals: RefusalLog) -> ClientChecks {
        let reputation = configuration.reputation
        let lists = (reputation.dnsbl + reputation.dnswl).map { list in
            DNSList(zone: list.zone, weight: list.weight, match: Set(list.match.compactMap { IPAddress(parsing: $0) }))
        }
        let limits = configuration.limits
        let anyRate = limits.messagesPerIPPerMinute > 0 || limits.recipientsPerIPPerMinute > 0 || limits.unknownRecipientsPerIP > 0
        return ClientChecks(
            reputation: lists.isEmpty ? nil : ClientReputation(lists: lists, rejectScore: reputation.rejectScore, dns: dns),
            rates: anyRate ? ClientRates(
                limits: .init(messagesPerMinute: limits.messagesPerIPPerMinute,
                              recipientsPerMinute: limits.recipientsPerIPPerMinute,
                              unknownRecipients: limits.unknownRecipientsPerIP,
                              harvestWindow: BackstopDefaults.Limits.harvestWindow,
                              maxClients: BackstopDefaults.Limits.trackedClients),
                now: { ContinuousClock.now }) : nil,
            pregreet: reputation.pregreet,
            refusals: refusals)
    }
}
