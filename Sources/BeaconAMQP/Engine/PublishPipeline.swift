import DequeModule

/// Messages handed over together by one publish call, and their outcomes as they arrive. Connection thread only.
final class PublishBatch {
    let messages: [AMQPMessage]
    /// Monotonic nanoseconds after which unresolved messages fail with a timeout.
    let deadline: UInt64
    private var outcomes: [AMQPPublishOutcome?]
    private var remaining: Int
    private let completion: @Sendable ([AMQPPublishOutcome]) -> Void

    init(messages: [AMQPMessage], deadline: UInt64, completion: @escaping @Sendable ([AMQPPublishOutcome]) -> Void) {
        self.messages = messages
        self.deadline = deadline
        self.outcomes = Array(repeating: nil, count: messages.count)
        self.remaining = messages.count
        self.completion = completion
        if messages.isEmpty { completion([]) }
    }

    func isResolved(_ index: Int) -> Bool { outcomes[index] != nil }

    /// Records the outcome of message `index` unless it already has one; the last outcome completes the batch.
    func resolve(_ index: Int, _ outcome: AMQPPublishOutcome) {
        guard outcomes[index] == nil else { return }
        outcomes[index] = outcome
        remaining -= 1
        if remaining == 0 { completion(outcomes.map { $0! }) }
    }
}

/// One message of a batch, on its way through a channel's pipeline.
struct PendingPublish {
    let batch: PublishBatch
    let index: Int

    var message: AMQPMessage { batch.messages[index] }
    var isResolved: Bool { batch.isResolved(index) }
    func resolve(_ outcome: AMQPPublishOutcome) { batch.resolve(index, outcome) }
}

/// A confirm-mode channel's publishing state: messages waiting to be sent, and messages sent and awaiting their
/// `basic.ack`/`basic.nack`, by delivery tag.
///
/// Tags count from 1 in each channel incarnation. Acks may be `multiple` and may come out of order; a `basic.return`
/// names no tag, so it is matched to the earliest unconfirmed message, after the last returned one, with the same
/// exchange, routing key, message id and body (the broker returns in publish order; identical messages are
/// interchangeable). Connection thread only.
struct PublishPipeline {
    private(set) var waiting = Deque<PendingPublish>()
    /// Index 0 holds tag `firstTag`; `nil` once acknowledged.
    private var outstanding = Deque<PendingPublish?>()
    private var firstTag: UInt64 = 1
    private var nextTag: UInt64 = 1
    private var lastReturnedTag: UInt64 = 0
    /// Sent messages whose ack or nack has not arrived (including ones that already timed out or were returned).
    private(set) var unconfirmed = 0

    /// Whether every message has an outcome (acks still due for timed-out messages do not count).
    var isSettled: Bool {
        waiting.isEmpty && (0..<outstanding.count).allSatisfy { outstanding[$0]?.isResolved ?? true }
    }

    /// The earliest deadline among messages without an outcome, if any.
    var nextDeadline: UInt64? {
        let waitingDeadline = waiting.first?.batch.deadline
        for offset in 0..<outstanding.count {
            if let pending = outstanding[offset], !pending.isResolved { return min(pending.batch.deadline, waitingDeadline ?? .max) }
        }
        return waitingDeadline
    }

    mutating func enqueue(_ batch: PublishBatch) {
        for index in batch.messages.indices { waiting.append(PendingPublish(batch: batch, index: index)) }
    }

    /// Whether messages wait and the window has room for one: ``nextToSend(window:)`` has something to give.
    func canSend(window: Int) -> Bool {
        !waiting.isEmpty && unconfirmed < window
    }

    /// The next message to send if the window has room, now counted as sent (its tag is the next one).
    mutating func nextToSend(window: Int) -> PendingPublish? {
        while unconfirmed < window, let pending = waiting.popFirst() {
            guard !pending.isResolved else { continue }
            outstanding.append(pending)
            nextTag += 1
            unconfirmed += 1
            return pending
        }
        return nil
    }

    /// `basic.ack` (`.confirmed`) or `basic.nack` (`.nacked`) for `tag`, or everything up to it when `multiple`.
    mutating func confirm(tag: UInt64, multiple: Bool, _ outcome: AMQPPublishOutcome) {
        guard tag >= firstTag, tag < nextTag else { return }
        if multiple {
            while firstTag <= tag, let slot = outstanding.popFirst() {
                firstTag += 1
                if let pending = slot { settle(pending, outcome) }
            }
        } else {
            let offset = Int(tag - firstTag)
            if let pending = outstanding[offset] {
                outstanding[offset] = nil
                settle(pending, outcome)
            }
        }
        while let first = outstanding.first, first == nil {
            _ = outstanding.removeFirst()
            firstTag += 1
        }
    }

    private mutating func settle(_ pending: PendingPublish, _ outcome: AMQPPublishOutcome) {
        unconfirmed -= 1
        pending.resolve(outcome)
    }

    /// A `basic.return`: resolves the message it names as returned (its ack follows and changes nothing).
    mutating func returned(exchange: String, routingKey: String, messageID: String?, body: [UInt8], error: AMQPError) {
        let start = max(lastReturnedTag + 1, firstTag)
        guard start < nextTag else { return }
        for tag in start..<nextTag {
            guard let pending = outstanding[Int(tag - firstTag)] else { continue }
            let message = pending.message
            guard message.exchange == exchange, message.routingKey == routingKey, message.properties.messageID == messageID,
                message.body == body
            else { continue }
            lastReturnedTag = tag
            pending.resolve(.returned(error))
            return
        }
    }

    /// Fails every message without an outcome whose deadline is not after `now`.
    mutating func expire(now: UInt64, _ error: AMQPError) {
        while let pending = waiting.first, pending.isResolved || pending.batch.deadline <= now {
            _ = waiting.removeFirst()
            pending.resolve(.failed(error))
        }
        for offset in 0..<outstanding.count {
            guard let pending = outstanding[offset], !pending.isResolved else { continue }
            guard pending.batch.deadline <= now else { break }
            pending.resolve(.failed(error))
        }
    }

    /// The channel incarnation ended without confirming what was sent. When `retry`, unconfirmed messages go back to
    /// the front of the queue, in their order, to be sent again (the broker may already have some: at-least-once);
    /// otherwise they fail with `error`. Tags restart at 1.
    mutating func sessionEnded(retry: Bool, _ error: AMQPError) {
        let sent = outstanding.compactMap { $0 }.filter { !$0.isResolved }
        outstanding.removeAll(keepingCapacity: true)
        if retry {
            waiting.insert(contentsOf: sent, at: 0)
        } else {
            for pending in sent { pending.resolve(.failed(error)) }
        }
        firstTag = 1
        nextTag = 1
        lastReturnedTag = 0
        unconfirmed = 0
    }

    /// Fails everything, sent or not.
    mutating func failAll(_ error: AMQPError) {
        sessionEnded(retry: true, error)
        let unsent = waiting
        waiting.removeAll()
        for pending in unsent { pending.resolve(.failed(error)) }
    }
}
