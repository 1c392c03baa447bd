import Synchronization

extension AMQPConnection {
    /// Where the connection stands. Watch it with ``AMQPConnection/statusUpdates()``.
    public enum Status: Sendable, Hashable, CustomStringConvertible {
        /// Connecting (the first time, or again after a loss).
        case connecting
        /// Connected; publishes flow.
        case connected
        /// Connected, but the broker blocks publishing (a memory or disk alarm): publishes wait, up to their deadline.
        case blocked(reason: String)
        /// Lost or failed to connect; the next attempt follows after the reconnect policy's delay.
        case disconnected(AMQPError)
        /// Closed for good: by the application (`nil`), or after a failure with reconnection disabled.
        case closed(AMQPError?)

        public var description: String {
            switch self {
            case .connecting: "connecting"
            case .connected: "connected"
            case .blocked(let reason): "blocked by the broker: \(reason)"
            case .disconnected(let error): "disconnected: \(error)"
            case .closed(nil): "closed"
            case .closed(let error?): "closed: \(error)"
            }
        }
    }
}

/// The connection's status, written by the connection thread and read or watched by anyone.
final class ConnectionShared: Sendable {
    private struct State {
        var status: AMQPConnection.Status = .connecting
        var observers: [Int: AsyncStream<AMQPConnection.Status>.Continuation] = [:]
        var nextObserver = 0
    }

    private let state = Mutex(State())

    var status: AMQPConnection.Status { state.withLock { $0.status } }

    /// The error a closed connection answers every request with.
    var closedError: AMQPError {
        switch status {
        case .closed(let error?): error
        default: AMQPError(code: .connectionClosed, message: "the connection is closed")
        }
    }

    func set(_ status: AMQPConnection.Status) {
        let observers: [AsyncStream<AMQPConnection.Status>.Continuation] = state.withLock { state in
            guard state.status != status else { return [] }
            state.status = status
            return Array(state.observers.values)
        }
        for observer in observers {
            observer.yield(status)
            if case .closed = status { observer.finish() }
        }
    }

    func updates() -> AsyncStream<AMQPConnection.Status> {
        let (stream, continuation) = AsyncStream.makeStream(of: AMQPConnection.Status.self, bufferingPolicy: .bufferingNewest(16))
        let current: AMQPConnection.Status = state.withLock { state in
            let id = state.nextObserver
            state.nextObserver += 1
            state.observers[id] = continuation
            continuation.onTermination = { [weak self] _ in self?.removeObserver(id) }
            // Yielded under the lock, so a concurrent `set` cannot overtake it.
            continuation.yield(state.status)
            return state.status
        }
        if case .closed = current { continuation.finish() }
        return stream
    }

    private func removeObserver(_ id: Int) {
        state.withLock { _ = $0.observers.removeValue(forKey: id) }
    }
}
