import BackstopDefaults
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Metrics
import SMTPProtocol
import Synchronization
import SpoolContract

extension DeliveryScheduler {
    /// Delivers `jobs` in order over one connection, reopening it (with failover) when it breaks.
    /// Returns false when no host could be reached at all.
    func deliverBatch(_ jobs: [DeliveryJob], over hosts: [PrimaryHost], pacer: SharedPacer) async -> Bool {
        var session: SMTPSession?
        var reachedAny = false
        // Outcomes are written while the next message goes out: the spool commits them in
        // groups (one fsync for many), and the connection need not wait for each fsync.
        // Every one is written before this returns.
        var recording: [Task<Void, Never>] = []
        for (index, job) in jobs.enumerated() {
            if Task.isCancelled {
                await returnLeases(jobs[index...])
                break
            }
            // An operator may have held or deleted it since the batch was claimed. When the
            // spool cannot say, the lease still stands and delivering is the safe side: the
            // content is then read as it goes out.
            let opening: [UInt8]?
            do {
                opening = try await ledger.deliverableContent(of: job.queueID, leaseOwner: job.lease.owner,
                                                              maxLength: SMTPSession.chunkSize)
                if opening == nil {
                    await returnLeases(jobs[index...index])
                    continue
                }
            } catch {
                opening = nil
            }
            if session == nil || session?.failure != nil {
                await session?.quit()
                session = nil
                let started = clock.now()
                switch await openSession(hosts) {
                case .success(let opened):
                    session = opened
                case .failure(let failure):
                    pacer.state.withLock { $0.noteConnectionLost() }
                    await recordUnreachable(job, failure, startedAt: started, host: hosts.last)
                    if failure.isHostLevel {
                        // The route is likely going down; leave the rest due and untouched.
                        await returnLeases(jobs[(index + 1)...])
                        for task in recording { await task.value }
                        return reachedAny
                    }
                    continue
                }
            }
            guard let session else { continue }
            reachedAny = true
            let slot = pacer.state.withLock { $0.reserve(now: clock.now()) }
            if slot > clock.now() { try? await clock.sleep(until: slot) }
            let started = clock.now()
            let ledger = self.ledger
            let id = job.queueID
            let result = await session.deliver(job) { offset, maxLength in
                // The opening read with the check serves the first chunk, and the whole message
                // when it was short (the end).
                if offset == 0, let opening, opening.count >= maxLength || opening.count < SMTPSession.chunkSize {
                    return opening.count > maxLength ? Array(opening.prefix(maxLength)) : opening
                }
                return try await ledger.readContent(of: id, offset: offset, maxLength: maxLength)
            }
            pace(pacer, by: result)
            let host = session.host
            recording.append(Task { [self] in
                await record(job, result, host: host, startedAt: started, countsAsAttempt: result.reachedMessage)
            })
        }
        await session?.quit()
        // Shutting down stops the recordings' retries (the lease then lapses and the message
        // goes again, at least once), never a write under way: a stop must not wait on a spool
        // that cannot write.
        let recordings = recording
        await withTaskCancellationHandler {
            for task in recordings { await task.value }
        } onCancel: {
            for task in recordings { task.cancel() }
        }
        return reachedAny
    }

    /// Tries the hosts in order; every host-level failure counts against that host's health.
    private func openSession(_ hosts: [PrimaryHost]) async -> Result<SMTPSession, ConnectionFailure> {
        var last = ConnectionFailure.unreachable("no usable host")
        for host in hosts {
            do {
                let session = try await client.connect(to: host)
                await health.noteDeliverySuccess(host: host)
                Counter(label: "backstop_forwarder_connections_total", dimensions: [("result", "ok")]).increment()
                return .success(session)
            } catch {
                Counter(label: "backstop_forwarder_connections_total", dimensions: [("result", "failed")]).increment()
                logger.warning("cannot open a session to the primary", metadata: ["host": "\(host)", "reason": "\(error)"])
                if error.isHostLevel { await health.noteDeliveryFailure(host: host, reason: error.description) }
                last = error
            }
        }
        return .failure(last)
    }

    private func pace(_ pacer: SharedPacer, by result: MessageDelivery) {
        pacer.state.withLock { pacer in
            if result.connectionFailure != nil {
                pacer.noteConnectionLost()
            } else if result.outcomes.contains(where: { if case .deferred = $0.disposition { true } else { false } }) {
                pacer.noteTransientFailure()
            } else if result.outcomes.contains(where: { if case .delivered = $0.disposition { true } else { false } }) {
                pacer.noteAccepted()
            }
        }
    }

    /// No session could be opened for `job`. A host-level failure leaves it due at once and its
    /// counter alone (the route pauses instead); any other (TLS) is an ordinary deferral.
    private func recordUnreachable(_ job: DeliveryJob, _ failure: ConnectionFailure, startedAt: Date, host: PrimaryHost?) async {
        let deferral = RecipientDisposition(.connection(failure), remoteHost: host?.description)
        let outcomes = job.pendingRecipients.map { RecipientOutcome(address: $0.address, disposition: deferral) }
        let result = MessageDelivery(outcomes: outcomes, connectionFailure: failure, reachedMessage: false)
        await record(job, result, host: host, startedAt: startedAt, countsAsAttempt: !failure.isHostLevel)
    }

    /// Turns a delivery result into the spool's dispositions, with a DSN where one is due.
    func record(_ job: DeliveryJob, _ result: MessageDelivery, host: PrimaryHost?, startedAt: Date, countsAsAttempt counts: Bool) async {
        let now = clock.now()
        let attempts = job.attempts + (counts ? 1 : 0)
        var dispositions: [RecipientOutcome] = []
        var reportEntries: [DSNBuilder.Entry] = []
        for entry in result.outcomes {
            // Byte for byte, as the spool matches recipients: String == would treat canonically
            // equivalent addresses as one.
            guard let recipient = job.recipients.first(where: { $0.address.utf8.elementsEqual(entry.address.utf8) })
            else { continue }
            let disposition = settle(entry.disposition, job: job, attempts: attempts, counts: counts, now: now)
            switch disposition {
            case .failed(let diagnosis) where PolicyRefusal.reply(in: disposition) != nil:
                noteSuppressedReport(job, recipient: recipient.address, reply: diagnosis.reply)
            case .failed(let diagnosis), .expired(let diagnosis):
                reportEntries.append(.init(recipient: recipient, action: .failed, diagnosis: diagnosis, lastAttempt: now))
            case .delivered(let reply) where result.passedWithoutDSN:
                reportEntries.append(.init(recipient: recipient, action: .relayed,
                                           diagnosis: relayedDiagnosis(reply, host: host), lastAttempt: now))
            case .delivered, .deferred:
                break
            }
            dispositions.append(RecipientOutcome(address: entry.address, disposition: disposition))
            count(disposition)
        }
        let report = await report(for: job, reportEntries, now: now)
        let attempt = DeliveryAttempt(queueID: job.queueID, lease: job.lease, host: host?.description, startedAt: startedAt,
                                      finishedAt: now, outcomes: dispositions, countsAsAttempt: counts, report: report,
                                      route: job.route)
        do {
            try await write(attempt)
            observer?.recorded(attempt, of: job)
            // The DSN is spooled now; it need not wait for the bounce route's next poll.
            if report != nil { wake(route: .bounce) }
        } catch {
            // The lease runs out and the message is tried again: at-least-once.
            logger.error("cannot record a delivery attempt", metadata: ["queue-id": "\(job.queueID)", "error": "\(error)"])
        }
    }

    /// The primary refused `recipient` as spam or by policy: it fails, and its sender, most
    /// likely forged, gets no DSN (`PolicyRefusal`).
    private func noteSuppressedReport(_ job: DeliveryJob, recipient: String, reply: SMTPReply?) {
        guard !job.isNullSender else { return }
        logger.notice("no DSN: the primary refused the recipient by policy",
                      metadata: ["queue-id": "\(job.queueID)", "recipient": "\(recipient)",
                                 "reply": "\(reply?.description ?? "")"])
        Counter(label: "backstop_dsn_suppressed_total", dimensions: [("reason", "policy")]).increment()
    }

    /// A deferral gets its retry time, or becomes an expiry once the message is past `max_age`.
    /// An attempt that did not count leaves the recipient due at once: the route pauses instead.
    private func settle(_ disposition: RecipientDisposition, job: DeliveryJob, attempts: Int, counts: Bool,
                        now: Date) -> RecipientDisposition {
        switch disposition {
        case .delivered, .failed, .expired:
            return disposition
        case .deferred(let diagnosis, _):
            let decision = random.withLock {
                configuration.retry.afterDeferral(attempts: attempts, receivedAt: job.receivedAt, now: now, using: &$0)
            }
            switch decision {
            case .retry(let at): return .deferred(diagnosis, retryAt: counts ? at : now)
            case .expire: return .expired(expiredDiagnosis(after: diagnosis))
            }
        }
    }

    /// Fails and reports the pending recipients of messages older than `max_age`, even while
    /// the route is down (RFC 5321 §4.5.4.1).
    func expireOldMessages(of route: RouteID) async {
        guard configuration.runsSpoolSweeps() else { return }
        let now = clock.now()
        let cutoff = now.addingTimeInterval(-configuration.retry.maximumAge.timeInterval)
        let jobs: [DeliveryJob]
        do {
            jobs = try await claimExpired(route: route, receivedBefore: cutoff,
                                                limit: BackstopDefaults.Replay.maintenanceClaimLimit, lease: newLease(), now: now)
        } catch is CancellationError {
            return
        } catch {
            logger.error("cannot look for expired messages", metadata: ["route": "\(route)", "error": "\(error)"])
            return
        }
        for job in jobs {
            let outcomes = job.pendingRecipients.map { recipient in
                let last = recipient.lastProblem ?? Diagnosis(status: .init(4, 4, 7), reply: nil, remoteHost: nil,
                                                              summary: "the primary could not be reached")
                return RecipientOutcome(address: recipient.address, disposition: .expired(expiredDiagnosis(after: last)))
            }
            let result = MessageDelivery(outcomes: outcomes, connectionFailure: nil, reachedMessage: false)
            await record(job, result, host: nil, startedAt: now, countsAsAttempt: false)
        }
    }

    /// The primary's acceptance, as a "relayed" DSN quotes it.
    private func relayedDiagnosis(_ reply: SMTPReply, host: PrimaryHost?) -> Diagnosis {
        Diagnosis(status: reply.status ?? EnhancedStatusCode(2, 0, 0), reply: reply, remoteHost: host?.description,
                  summary: "passed to \(host?.name ?? "the primary"), which does not offer delivery notifications")
    }

    private func expiredDiagnosis(after last: Diagnosis) -> Diagnosis {
        DeliveryProblem.expired(last: last).diagnosis(remoteHost: nil)
    }

    func report(for job: DeliveryJob, _ entries: [DSNBuilder.Entry], now: Date) async -> GeneratedMessage? {
        guard !entries.isEmpty, !job.isNullSender else { return nil }
        let builder = configuration.dsn
        let wanted = builder.returnsFullMessage(job, entries) ? job.size : min(job.size, BackstopDefaults.DSN.headerExcerptSize)
        var original: [UInt8] = []
        do {
            while original.count < wanted {
                let chunk = try await ledger.readContent(of: job.queueID, offset: original.count,
                                                        maxLength: min(SMTPSession.chunkSize, wanted - original.count))
                if chunk.isEmpty { break }
                original += chunk
            }
        } catch {
            logger.error("cannot read the original for a DSN; sending headers that could be read",
                         metadata: ["queue-id": "\(job.queueID)", "error": "\(error)"])
        }
        if let failure = builder.suppressedForAuthentication(original: original) {
            logger.notice("no DSN: the sender failed authentication when the message arrived",
                          metadata: ["queue-id": "\(job.queueID)", "sender": "\(job.sender)", "result": "\(failure)"])
            Counter(label: "backstop_dsn_suppressed_total", dimensions: [("reason", "authentication")]).increment()
            return nil
        }
        return random.withLock { builder.build(for: job, entries: entries, original: original, now: now, using: &$0) }
    }

    func returnLeases(_ jobs: ArraySlice<DeliveryJob>) async {
        for job in jobs {
            do {
                try await giveBack(job.queueID, lease: job.lease)
            } catch {
                logger.error("cannot return a lease; it will expire", metadata: ["queue-id": "\(job.queueID)", "error": "\(error)"])
            }
        }
    }

    private func count(_ disposition: RecipientDisposition) {
        let outcome: String
        switch disposition {
        case .delivered: outcome = "delivered"
        case .deferred: outcome = "deferred"
        case .failed: outcome = "failed"
        case .expired: outcome = "expired"
        }
        Counter(label: "backstop_forwarder_recipients_total", dimensions: [("outcome", outcome)]).increment()
    }
}
