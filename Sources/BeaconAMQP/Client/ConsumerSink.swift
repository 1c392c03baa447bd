import Synchronization

/// The hand-over point between the connection thread, which pushes deliveries in batches, and the task iterating an
/// ``AMQPConsumer``, which takes everything buffered (up to its batch size) at once.
///
/// The buffer needs no bound of its own: the channel's prefetch limits how many unacknowledged deliveries the broker
/// sends.
final class ConsumerSink: Sendable {
    private enum End {
        case finished
        case failed(AMQPError)
    }

    private struct State {
        var buffered: [AMQPDelivery] = []
        var waiter: CheckedContinuation<Result<[AMQPDelivery]?, AMQPError>, Never>?
        var end: End?
    }

    private let state = Mutex(State())
    private let maximumBatchSize: Int

    init(maximumBatchSize: Int) { self.maximumBatchSize = max(1, maximumBatchSize) }

    /// Connection thread: new deliveries.
    func push(_ deliveries: [AMQPDelivery]) {
        let resume: (CheckedContinuation<Result<[AMQPDelivery]?, AMQPError>, Never>, [AMQPDelivery])? = state.withLock { state in
            guard state.end == nil else { return nil }
            state.buffered.append(contentsOf: deliveries)
            guard let waiter = state.waiter else { return nil }
            state.waiter = nil
            return (waiter, takeBatch(&state))
        }
        if let (waiter, batch) = resume { waiter.resume(returning: .success(batch)) }
    }

    /// Connection thread: no more deliveries; the iteration ends (with `error`, if any) once the buffer is drained.
    func finish(_ error: AMQPError?) {
        let waiter: CheckedContinuation<Result<[AMQPDelivery]?, AMQPError>, Never>? = state.withLock { state in
            guard state.end == nil else { return nil }
            state.end = error.map { .failed($0) } ?? .finished
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: error.map { .failure($0) } ?? .success(nil))
    }

    /// Connection thread: the connection was lost; buffered deliveries can no longer be acknowledged (the broker
    /// redelivers them), so they are dropped rather than processed twice.
    func discardBuffered() {
        state.withLock { $0.buffered = [] }
    }

    /// The next batch: what is buffered, or the next deliveries to arrive; `nil` at the end or when the task is
    /// cancelled.
    func next() async throws(AMQPError) -> [AMQPDelivery]? {
        let result: Result<[AMQPDelivery]?, AMQPError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let immediate: Result<[AMQPDelivery]?, AMQPError>? = state.withLock { state in
                    if !state.buffered.isEmpty { return .success(takeBatch(&state)) }
                    switch state.end {
                    case .finished: return .success(nil)
                    case .failed(let error): return .failure(error)
                    case nil: break
                    }
                    if Task.isCancelled { return .success(nil) }
                    precondition(state.waiter == nil, "an AMQPConsumer is iterated by one task at a time")
                    state.waiter = continuation
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: .success(nil))
        }
        return try result.get()
    }

    private func takeBatch(_ state: inout State) -> [AMQPDelivery] {
        guard state.buffered.count > maximumBatchSize else {
            defer { state.buffered = [] }
            return state.buffered
        }
        let batch = Array(state.buffered.prefix(maximumBatchSize))
        state.buffered.removeFirst(maximumBatchSize)
        return batch
    }
}
