import BeaconEvents

/// Storm control for error mail: identical errors (the same fingerprint) within a window give one mail, then one
/// digest with the count when the window ends; and at most `maxMailsPerMinute` mails (digests included) go out in
/// any minute. An error that finds the cap reached is held for the digest too, so nothing is dropped.
///
/// A pure state machine over millisecond times; the mail sink persists every step in its journal (``Record``) and
/// replays them after a restart.
struct StormControl {
    /// The errors of one fingerprint within one window.
    struct Group {
        let fingerprint: String
        /// When the window began (ms).
        var windowStart: Int64
        /// When the group's mail went out; nil when the cap held even the first one back.
        var mailedAt: Int64?
        /// How many events were held back for the digest.
        var held: Int
        var lastHeld: Int64
        /// The first held event, shown in the digest.
        var firstHeld: Event?

        /// A group takes more events while its window lasts, and after it until its digest is out.
        func isOpen(at time: Int64, window: Int64) -> Bool { time - windowStart < window || held > 0 }
    }

    enum Decision {
        case mail
        case hold
    }

    let window: Int64
    let maxMailsPerMinute: Int
    private(set) var groups: [String: Group] = [:]
    /// When the mails of the last minute went out (ms).
    private var sent: [Int64] = []

    init(_ configuration: StormControlConfiguration) {
        window = configuration.window.milliseconds
        maxMailsPerMinute = configuration.maxMailsPerMinute
    }

    /// The fingerprint that groups identical errors: the error's own, or for an event without error details (a
    /// request that failed, an error logged as text) one made of its kind, logger and request path.
    static func fingerprint(of event: Event) -> String {
        event.error?.fingerprint
            ?? Event.ErrorDetails.fingerprint(
                type: "\(event.kind.rawValue) \(event.logger ?? event.service) \(event.request?.path ?? "")",
                source: event.source
            )
    }

    /// Whether an event of group `fingerprint` gets a mail of its own now, or waits for its group's digest.
    mutating func decide(fingerprint: String, now: Int64) -> Decision {
        if let group = groups[fingerprint], group.isOpen(at: now, window: window) { return .hold }
        return hasCapacity(now: now) ? .mail : .hold
    }

    /// A mail went out for `fingerprint`: its window begins.
    mutating func mailed(_ fingerprint: String, at time: Int64) {
        groups[fingerprint] = Group(fingerprint: fingerprint, windowStart: time, mailedAt: time, held: 0, lastHeld: time)
        sent.append(time)
    }

    /// `event` was held back for the digest (nil when replaying one whose details were not kept). Returns true
    /// when it is its group's first, whose details the digest shows (the journal keeps them).
    @discardableResult
    mutating func held(_ event: Event?, fingerprint: String, at time: Int64) -> Bool {
        var group =
            groups[fingerprint].flatMap { $0.isOpen(at: time, window: window) ? $0 : nil }
            ?? Group(fingerprint: fingerprint, windowStart: time, mailedAt: nil, held: 0, lastHeld: time)
        let isFirst = group.firstHeld == nil
        if isFirst { group.firstHeld = event }
        group.held += 1
        group.lastHeld = time
        groups[fingerprint] = group
        return isFirst
    }

    /// The groups whose window has ended with events held back, when the cap lets a digest go out now.
    func dueDigest(now: Int64) -> [Group] {
        guard hasCapacity(now: now) else { return [] }
        return groups.values.filter { $0.held > 0 && now - $0.windowStart >= window }.sorted { $0.windowStart < $1.windowStart }
    }

    /// The digest for `fingerprints` went out.
    mutating func digestSent(_ fingerprints: [String], at time: Int64) {
        for fingerprint in fingerprints { groups[fingerprint] = nil }
        sent.append(time)
    }

    /// Forgets windows that ended with nothing held back, and mails older than a minute.
    mutating func expire(now: Int64) {
        groups = groups.filter { $0.value.held > 0 || now - $0.value.windowStart < window }
        sent.removeAll { now - $0 >= 60_000 }
    }

    private func hasCapacity(now: Int64) -> Bool {
        sent.lazy.filter { now - $0 < 60_000 }.count < maxMailsPerMinute
    }

    /// Restores a group from a journal snapshot.
    mutating func restore(_ group: Group) {
        groups[group.fingerprint] = group
        if let mailedAt = group.mailedAt, !sent.contains(mailedAt) { sent.append(mailedAt) }
    }
}
