/// An AMQP channel: topology requests, publishing with confirms, consuming with acknowledgements.
///
/// Channels survive reconnects (the connection reopens them) and broker-side channel errors: when the broker closes
/// the channel (e.g. `404 NOT_FOUND` on a passive declare), the failing request throws, publishes in flight on it fail,
/// its consumers end with the error, and the channel opens again with the next request.
///
/// Every channel is in confirm mode: each publish resolves to one ``AMQPPublishOutcome``.
public final class AMQPChannel: Sendable {
    /// The connection the channel belongs to (kept alive by the channel).
    public let connection: AMQPConnection
    let shared: ChannelShared

    init(connection: AMQPConnection, shared: ChannelShared) {
        self.connection = connection
        self.shared = shared
    }

    /// Runs `body` on the connection thread with this channel open.
    func request<T: Sendable>(
        _ context: String,
        abandoned: (@Sendable (T) -> Void)? = nil,
        _ body: @escaping @Sendable (Engine, ChannelState, Session) throws(AMQPError) -> T
    ) async throws(AMQPError) -> T {
        let id = shared.id
        return try await connection.perform(abandoned: abandoned) { engine, reply in
            reply(engine.withOpenChannel(id, context) { channel, session throws(AMQPError) in try body(engine, channel, session) })
        }
    }

    /// Closes the channel once its publishes have outcomes; its consumers end.
    public func close() async {
        let id = shared.id
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let posted = connection.mailbox.post { engine in engine.closeChannel(id) { continuation.resume() } }
            if !posted { continuation.resume() }
        }
    }
}

// MARK: Topology

extension AMQPChannel {
    /// Declares an exchange (idempotent for an identical definition; `406 PRECONDITION_FAILED` otherwise).
    public func declare(_ exchange: AMQPExchange) async throws(AMQPError) {
        try await request("declaring exchange '\(exchange.name)'") { engine, channel, session throws(AMQPError) in
            try engine.declare(exchange, passive: false, on: channel, session)
        }
    }

    /// Declares a queue; the result has its name (generated for `""`) and counts.
    @discardableResult
    public func declare(_ queue: AMQPQueue) async throws(AMQPError) -> AMQPQueue.DeclareResult {
        try await request("declaring queue '\(queue.name)'") { engine, channel, session throws(AMQPError) in
            try engine.declare(queue, passive: false, on: channel, session)
        }
    }

    /// Declares exchanges, then queues, then bindings (once; ``AMQPConnection/declare(_:)`` also re-declares after
    /// reconnects).
    public func declare(_ topology: AMQPTopology) async throws(AMQPError) {
        for exchange in topology.exchanges { try await declare(exchange) }
        for queue in topology.queues { try await declare(queue) }
        for binding in topology.bindings { try await bind(binding) }
    }

    /// Checks that exchange `name` exists (`404 NOT_FOUND` if not, which also closes, and later reopens, the channel).
    public func checkExchange(_ name: String) async throws(AMQPError) {
        try await request("checking exchange '\(name)'") { engine, channel, session throws(AMQPError) in
            try engine.declare(AMQPExchange(name, kind: .direct), passive: true, on: channel, session)
        }
    }

    /// Checks that queue `name` exists and returns its counts (`404 NOT_FOUND` if it does not).
    public func checkQueue(_ name: String) async throws(AMQPError) -> AMQPQueue.DeclareResult {
        try await request("checking queue '\(name)'") { engine, channel, session throws(AMQPError) in
            try engine.declare(AMQPQueue(name), passive: true, on: channel, session)
        }
    }

    /// Adds a binding (idempotent).
    public func bind(_ binding: AMQPBinding) async throws(AMQPError) {
        try await request("binding") { engine, channel, session throws(AMQPError) in
            try engine.bind(binding, unbind: false, on: channel, session)
        }
    }

    /// Removes a binding.
    public func unbind(_ binding: AMQPBinding) async throws(AMQPError) {
        try await request("unbinding") { engine, channel, session throws(AMQPError) in
            try engine.bind(binding, unbind: true, on: channel, session)
        }
    }

    /// Deletes a queue and returns how many messages it held.
    @discardableResult
    public func deleteQueue(_ name: String, ifUnused: Bool = false, ifEmpty: Bool = false) async throws(AMQPError) -> UInt32 {
        try await request("deleting queue '\(name)'") { engine, channel, session throws(AMQPError) in
            try engine.deleteQueue(name, ifUnused: ifUnused, ifEmpty: ifEmpty, on: channel, session)
        }
    }

    /// Deletes an exchange (with `ifUnused`, only if nothing is bound to it).
    public func deleteExchange(_ name: String, ifUnused: Bool = false) async throws(AMQPError) {
        try await request("deleting exchange '\(name)'") { engine, channel, session throws(AMQPError) in
            try engine.deleteExchange(name, ifUnused: ifUnused, on: channel, session)
        }
    }

    /// Removes every ready message from a queue and returns how many there were.
    @discardableResult
    public func purgeQueue(_ name: String) async throws(AMQPError) -> UInt32 {
        try await request("purging queue '\(name)'") { engine, channel, session throws(AMQPError) in
            try engine.purgeQueue(name, on: channel, session)
        }
    }
}
