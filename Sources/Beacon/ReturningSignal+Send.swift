extension ReturningSignal {
    /// Runs the synchronous receivers for `sender` (and those for any sender) with `payload`, in registration order, and
    /// returns what each did. A receiver that throws does not stop the others: its error is in the result, with it.
    /// Asynchronous receivers do not run; `await send` runs them.
    ///
    /// With no receiver, or muted, this is one atomic load and allocates nothing; with receivers that return `Void` and
    /// do not throw, it allocates nothing either.
    @inlinable
    @inline(__always)
    @discardableResult
    public func send(_ payload: Payload, from sender: Sender? = nil) -> SendResult<Payload, Output> {
        guard published.isPublished else {
            return SendResult()
        }
        return deliverSynchronously(payload, from: sender, stoppingAtFirstError: false).result
    }

    /// Runs every receiver for `sender` (and those for any sender), synchronous and asynchronous, with `payload`, in
    /// registration order, one after another, and returns what each did. A receiver that throws does not stop the others.
    /// When no receiver is asynchronous it suspends nowhere and costs what a plain `send` costs.
    @inlinable
    @inline(__always)
    @discardableResult
    public func send(
        _ payload: Payload,
        from sender: Sender? = nil,
        isolation: isolated (any Actor)? = #isolation
    ) async -> SendResult<Payload, Output> {
        guard published.isPublished else {
            return SendResult()
        }
        return await deliverAsynchronously(payload, from: sender, stoppingAtFirstError: false).result
    }

    /// Like ``send(_:from:)``, but the first receiver that throws ends the send: no further receiver runs, and its error
    /// is thrown with it. Blinker's `send`, where an exception propagates.
    @inlinable
    @discardableResult
    public func sendStoppingAtFirstError(
        _ payload: Payload,
        from sender: Sender? = nil
    ) throws(ReceiverError<Payload, Output>) -> SendResult<Payload, Output> {
        let delivery = deliverSynchronously(payload, from: sender, stoppingAtFirstError: true)
        if let error = delivery.stoppingError(signalName: name) {
            throw error
        }
        return delivery.result
    }

    /// Like `await send`, but the first receiver that throws ends the send, and its error is thrown with it.
    /// Blinker's `send_async`.
    @inlinable
    @discardableResult
    public func sendStoppingAtFirstError(
        _ payload: Payload,
        from sender: Sender? = nil,
        isolation: isolated (any Actor)? = #isolation
    ) async throws(ReceiverError<Payload, Output>) -> SendResult<Payload, Output> {
        let delivery = await deliverAsynchronously(payload, from: sender, stoppingAtFirstError: true)
        if let error = delivery.stoppingError(signalName: name) {
            throw error
        }
        return delivery.result
    }

    @inlinable
    @inline(__always)
    func deliverSynchronously(_ payload: Payload, from sender: Sender?, stoppingAtFirstError: Bool) -> Delivery<Payload, Output> {
        let delivery = published.withBorrowedSnapshot { snapshot in
            deliver(payload, to: snapshot.lists[snapshot.listIndex(for: sender)].synchronous, stoppingAtFirstError: stoppingAtFirstError)
        }
        return finish(delivery)
    }

    /// Runs `receivers`, all synchronous, without suspending.
    @inlinable
    @inline(__always)
    func deliver(
        _ payload: Payload,
        to receivers: ContiguousArray<Receiver<Payload, Output>>,
        stoppingAtFirstError: Bool
    ) -> Delivery<Payload, Output> {
        var recorder = ResultRecorder<Payload, Output>(expectedCount: receivers.count, stoppingAtFirstError: stoppingAtFirstError)
        receivers.withUnsafeBufferPointer { buffer in
            for index in buffer.indices {
                // The borrowed snapshot keeps every receiver alive for the whole send: calling through an unretained
                // reference spares a retain and a release per receiver.
                Unmanaged.passUnretained(buffer[index])._withUnsafeGuaranteedRef { receiver in
                    do {
                        if let output = try receiver.synchronousBody?(payload) {
                            recorder.recordSuccess(output, at: index, of: receivers)
                            return
                        }
                    } catch {
                        recorder.recordFailure(error, at: index, of: receivers)
                        return
                    }
                    recorder.record(receiver.runWithOwner(payload), at: index, of: receivers)
                }
                if recorder.isStopped {
                    return
                }
            }
        }
        return Delivery(recorder, ran: receivers, signalName: name)
    }

    /// Runs every receiver; when none is asynchronous, exactly as a synchronous send does (nothing suspends).
    @inlinable
    func deliverAsynchronously(
        _ payload: Payload,
        from sender: Sender?,
        stoppingAtFirstError: Bool,
        isolation: isolated (any Actor)? = #isolation
    ) async -> Delivery<Payload, Output> {
        let start = published.withBorrowedSnapshot { snapshot -> AsynchronousStart<Payload, Output> in
            let list = snapshot.lists[snapshot.listIndex(for: sender)]
            guard list.hasAsynchronousReceivers else {
                return .delivered(deliver(payload, to: list.synchronous, stoppingAtFirstError: stoppingAtFirstError))
            }
            return .mustAwait(list.all)
        }
        switch start {
        case nil:
            return Delivery()
        case .delivered(let delivery):
            return finish(delivery)
        case .mustAwait(let receivers):
            return finish(await deliver(payload, toSuspending: receivers, stoppingAtFirstError: stoppingAtFirstError))
        }
    }

    /// Runs `receivers`, synchronous and asynchronous, awaiting each asynchronous one.
    @inlinable
    func deliver(
        _ payload: Payload,
        toSuspending receivers: ContiguousArray<Receiver<Payload, Output>>,
        stoppingAtFirstError: Bool,
        isolation: isolated (any Actor)? = #isolation
    ) async -> Delivery<Payload, Output> {
        var recorder = ResultRecorder<Payload, Output>(expectedCount: receivers.count, stoppingAtFirstError: stoppingAtFirstError)
        for (index, receiver) in receivers.enumerated() {
            recorder.record(await receiver.run(payload), at: index, of: receivers)
            if recorder.isStopped {
                break
            }
        }
        return Delivery(recorder, ran: receivers, signalName: name)
    }

    /// Removes the receivers whose owner a send found gone, once the send is over.
    @inlinable
    @inline(__always)
    func finish(_ delivery: Delivery<Payload, Output>?) -> Delivery<Payload, Output> {
        guard let delivery else {
            return Delivery()
        }
        if delivery.skippedDeadOwner {
            removeDeadConnections()
        }
        return delivery
    }

    @usableFromInline
    func removeDeadConnections() {
        updateRegistry { _ in }
    }
}

/// How an `await send` starts: done already (no receiver suspends), or with receivers to await.
@usableFromInline
enum AsynchronousStart<Payload: Sendable, Output: Sendable> {
    case delivered(Delivery<Payload, Output>)
    case mustAwait(ContiguousArray<Receiver<Payload, Output>>)
}

/// What a send did, and what it has left to do.
@usableFromInline
struct Delivery<Payload: Sendable, Output: Sendable> {
    @usableFromInline let result: SendResult<Payload, Output>
    /// Whether the send stopped at an error, which is then the last result.
    @usableFromInline let isStopped: Bool
    @usableFromInline let skippedDeadOwner: Bool

    @inlinable
    @inline(__always)
    init() {
        result = SendResult()
        isStopped = false
        skippedDeadOwner = false
    }

    @inlinable
    @inline(__always)
    init(
        _ recorder: ResultRecorder<Payload, Output>,
        ran receivers: ContiguousArray<Receiver<Payload, Output>>,
        signalName: @autoclosure () -> String?
    ) {
        result = recorder.result(ran: receivers, signalName: signalName())
        isStopped = recorder.isStopped
        skippedDeadOwner = recorder.skippedDeadOwner
    }

    /// The error the send stopped at, if it did.
    @inlinable
    func stoppingError(signalName: String?) -> ReceiverError<Payload, Output>? {
        guard isStopped, let (receiver, result) = result.last, case .failure(let error) = result else {
            return nil
        }
        return ReceiverError(receiver: receiver, error: error, signalName: signalName)
    }
}
