extension AMQPChannel {
    /// Publishes messages and calls `completion` with one outcome per message, in order, once all have one.
    ///
    /// Returns at once: the messages join the channel's queue and go out within the confirm window. `completion` runs
    /// on the connection thread and must return quickly. Each message resolves to exactly one outcome: confirmed,
    /// returned (mandatory and unroutable), nacked, or failed (deadline passed, channel or connection closed). While
    /// the connection is lost, messages wait for the reconnect; sent but unconfirmed ones are published again (the
    /// broker may then hold a message twice: consumers should deduplicate by message id).
    public func publish(_ messages: [AMQPMessage], completion: @escaping @Sendable ([AMQPPublishOutcome]) -> Void) {
        let id = shared.id
        let posted = connection.mailbox.post { engine in engine.publish(messages, channelID: id, completion: completion) }
        if !posted { completion(Array(repeating: .failed(connection.closedError), count: messages.count)) }
    }

    /// Publishes messages and returns one outcome per message, in order (see ``publish(_:completion:)``).
    public func publish(_ messages: [AMQPMessage]) async -> [AMQPPublishOutcome] {
        await withCheckedContinuation { continuation in
            publish(messages) { continuation.resume(returning: $0) }
        }
    }

    /// Publishes one message and returns its outcome.
    public func publish(_ message: AMQPMessage) async -> AMQPPublishOutcome {
        await publish([message])[0]
    }
}
