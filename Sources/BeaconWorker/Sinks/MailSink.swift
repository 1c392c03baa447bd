import BeaconEvents
import BeaconFileSystem
import Foundation
import Logging

/// Error mail: one mail per event through ``SMTPClient``, from the configured Mustache templates, under
/// ``StormControl``.
///
/// An event counts as durable once the server answered 250 to its mail, or once it was held back for a digest and
/// that was recorded in the journal. The journal also keeps the storm state (`m`: a mail opened a window, `h`: an
/// event was held back, `g`: a digest went out, `s`: a group carried into a new journal generation), so a restart
/// neither forgets held-back errors nor mails a storm again.
final class MailSink: JournaledSink {
    let name: String
    let journal: SinkJournal

    private let configuration: MailSinkConfiguration
    private let client: SMTPClient
    private var templates: MailTemplates
    private var storm: StormControl
    private let clock: @Sendable () -> Int64
    private let logger: Logger
    private let host = ProcessIdentity.current.host
    /// After a failed digest, the next try waits until then (ms).
    private var nextDigestAttempt: Int64 = 0

    init(name: String, configuration: MailSinkConfiguration, context: SinkContext) throws(SinkError) {
        self.name = name
        self.configuration = configuration
        self.clock = context.clock
        self.logger = context.logger
        client = SMTPClient(configuration: configuration.smtp)
        do {
            templates = try MailTemplates(configuration: configuration)
        } catch {
            throw SinkError(.smtpRejected, sink: name, "a mail template cannot be used: \(error)", isPermanent: true)
        }
        var storm = StormControl(configuration.storm)
        journal = try context.journal { record in Self.replay(record, into: &storm) }
        self.storm = storm
    }

    func write(_ events: [Event]) -> [SinkError?] {
        var results = [SinkError?](repeating: nil, count: events.count)
        var heldRecords: [String] = []
        var heldIDs: [String] = []
        func commitHeld() throws(SystemCallError) {
            guard !heldIDs.isEmpty else { return }
            try journal.commit(heldIDs, sync: true, records: heldRecords, snapshot: snapshot)
            heldRecords.removeAll()
            heldIDs.removeAll()
        }
        for (index, event) in events.enumerated() {
            let now = clock()
            let fingerprint = StormControl.fingerprint(of: event)
            switch storm.decide(fingerprint: fingerprint, now: now) {
            case .hold:
                let first = storm.held(event, fingerprint: fingerprint, at: now)
                heldRecords.append(Self.heldRecord(event, fingerprint: fingerprint, at: now, keepEvent: first))
                heldIDs.append(event.id)
            case .mail:
                do throws(SystemCallError) {
                    try commitHeld()
                } catch {
                    return fail(results, from: index - heldIDs.count, SinkError(.journal, sink: name, error.description))
                }
                do throws(SMTPClient.Failure) {
                    try client.send(from: configuration.from, to: configuration.to, message: message(for: event, at: now))
                } catch {
                    let code: SinkError.Code = error.isPermanent ? .smtpRejected : .smtpUnavailable
                    let failure = SinkError(code, sink: name, error.message, isPermanent: error.isPermanent)
                    if error.isPermanent {
                        results[index] = failure
                        continue
                    }
                    return fail(results, from: index, failure)
                }
                storm.mailed(fingerprint, at: now)
                do {
                    try journal.commit([event.id], sync: true, records: ["m \(now) \(SinkJournal.encoded(fingerprint))"], snapshot: snapshot)
                } catch {
                    logger.error("mail sent but not recorded in the journal: it may be sent again", metadata: ["error": "\(error)"])
                }
            }
        }
        do {
            try commitHeld()
        } catch {
            return fail(results, from: events.count - heldIDs.count, SinkError(.journal, sink: name, error.description))
        }
        return results
    }

    /// Marks every event from `index` on as failed with `error` (held-back events not yet recorded included).
    private func fail(_ results: [SinkError?], from index: Int, _ error: SinkError) -> [SinkError?] {
        var results = results
        for position in index..<results.count where results[position] == nil { results[position] = error }
        return results
    }

    /// Sends the digest of groups whose window has ended, when the cap allows; keeps them for later on failure.
    func tick() throws(SinkError) {
        let now = clock()
        storm.expire(now: now)
        guard now >= nextDigestAttempt else { return }
        let groups = storm.dueDigest(now: now)
        guard !groups.isEmpty else { return }
        do throws(SMTPClient.Failure) {
            try client.send(from: configuration.from, to: configuration.to, message: digestMessage(groups, at: now))
        } catch {
            nextDigestAttempt = now + 30_000
            throw SinkError(.smtpUnavailable, sink: name, "digest not sent, tried again in 30s: \(error.message)")
        }
        let fingerprints = groups.map(\.fingerprint)
        storm.digestSent(fingerprints, at: now)
        do {
            try journal.append("g", [String(now)] + fingerprints.map(SinkJournal.encoded), sync: true)
        } catch {
            throw SinkError(.journal, sink: name, "digest sent but not recorded: \(error)")
        }
    }

    // MARK: Messages

    private func message(for event: Event, at now: Int64) -> [UInt8] {
        var headers = [("Event-Id", event.id), ("Service", event.service)]
        if let fingerprint = event.error?.fingerprint { headers.append(("Fingerprint", fingerprint)) }
        return MailMessage(
            from: configuration.from,
            to: configuration.to,
            subject: templates.subject(for: event),
            body: templates.body(for: event),
            messageID: event.id,
            extraHeaders: headers,
            date: now / 1000
        ).rendered(host: host)
    }

    private func digestMessage(_ groups: [StormControl.Group], at now: Int64) -> [UInt8] {
        let count = groups.reduce(0) { $0 + $1.held }
        var entries: [[String: Any]] = []
        for group in groups {
            var entry = group.firstHeld.map { templates.context(for: $0) } ?? [:]
            entry["count"] = group.held
            entry["fingerprint"] = group.fingerprint
            entry["first"] = entry["asctime"] ?? Event.Timestamp(millisecondsSince1970: group.windowStart).rfc3339
            entry["last"] = Event.Timestamp(millisecondsSince1970: group.lastHeld).rfc3339
            entry["mailed_at"] = group.mailedAt.map { Event.Timestamp(millisecondsSince1970: $0).rfc3339 }
            if let error = group.firstHeld?.error {
                entry["error_type"] = LogText.escaped(error.type)
                entry["error_message"] = LogText.escaped(error.message)
            }
            entries.append(entry)
        }
        let context: [String: Any] = [
            "count": count,
            "one_event": count == 1,
            "kinds": groups.count,
            "window": ConfigurationText.text(configuration.storm.window),
            "max_per_minute": configuration.storm.maxMailsPerMinute,
            "entries": entries,
        ]
        let subject: String
        if groups.count == 1, let first = groups[0].firstHeld {
            subject = "[\(first.service)] digest: \(count) more x \(first.level.pythonName): \(first.message)"
        } else {
            subject = "[beacon] digest: \(count) more errors of \(groups.count) kinds"
        }
        return MailMessage(
            from: configuration.from,
            to: configuration.to,
            subject: subject,
            body: templates.digest(context),
            messageID: "digest-\(now)-\(groups[0].fingerprint)",
            extraHeaders: [("Digest-Count", String(count))],
            date: now / 1000
        ).rendered(host: host)
    }

    // MARK: Journal records

    private static func heldRecord(_ event: Event, fingerprint: String, at time: Int64, keepEvent: Bool) -> String {
        let json = keepEvent ? Data(event.jsonBytes()).base64EncodedString() : "-"
        return "h \(time) \(SinkJournal.encoded(fingerprint)) \(json)"
    }

    private static func replay(_ record: SinkJournal.Record, into storm: inout StormControl) {
        let fields = record.fields.map(String.init)
        func event(_ field: String) -> Event? {
            guard field != "-", let data = Data(base64Encoded: field) else { return nil }
            return try? Event(json: Array(data))
        }
        switch record.kind {
        case "m" where fields.count == 2:
            guard let time = Int64(fields[0]) else { return }
            storm.mailed(fields[1], at: time)
        case "h" where fields.count == 3:
            guard let time = Int64(fields[0]) else { return }
            storm.held(event(fields[2]), fingerprint: fields[1], at: time)
        case "g" where fields.count >= 1:
            guard let time = Int64(fields[0]) else { return }
            storm.digestSent(Array(fields.dropFirst()), at: time)
        case "s" where fields.count == 6:
            guard let start = Int64(fields[0]), let held = Int(fields[3]), let last = Int64(fields[4]) else { return }
            let group = StormControl.Group(
                fingerprint: fields[1],
                windowStart: start,
                mailedAt: Int64(fields[2]),
                held: held,
                lastHeld: last,
                firstHeld: event(fields[5])
            )
            storm.restore(group)
        default:
            break
        }
    }

    /// The storm state as `s` records, which a new journal generation begins with.
    private func snapshot() -> [String] {
        storm.groups.values.map { group in
            let json = group.firstHeld.map { Data($0.jsonBytes()).base64EncodedString() } ?? "-"
            let mailedAt = group.mailedAt.map(String.init) ?? "-"
            return "s \(group.windowStart) \(SinkJournal.encoded(group.fingerprint)) \(mailedAt) \(group.held) \(group.lastHeld) \(json)"
        }
    }
}
