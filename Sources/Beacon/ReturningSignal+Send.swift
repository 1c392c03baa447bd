extension ReturningSignal {
    /// Runs the synchronous receivers for `sender` (and those for any sender) with `payload`, in registration order, and
    /// returns what each did. A receiver that throws does not stop the others: its error is in the result, with it,
    /// and goes to the signal's error handler. An asynchronous receiver does not run: the result has a
    /// ``SignalError`` with code ``SignalError/Code/asynchronousReceiverNotRun`` for it, in its place; `await send`
    /// runs it.
    ///
    /// In asynchronous code `send` means `await send`; call ``sendSynchronously(_:from:)`` there for this one.
    ///
    /// With no receiver, or muted, this is one atomic load and allocates nothing; with receivers that return `Void` and
    /// do not throw, it allocates nothing either.
    @inlinable
    @inline(__always)
    @discardableResult
    public func send(_ payload: Payload, from sender: Sender? = nil) -> SendResult<Payload, Output> {
        sendSynchronously(payload, from: sender)
    }

    /// The plain, non-suspending ``send(_:from:)``, under a name that asynchronous code can call without a wrapper
    /// (there, `send` is the suspending one): runs the synchronous receivers and reports the asynchronous ones.
    @inlinable
    @inline(__always)
    @discardableResult
    public func sendSynchronously(_ payload: Payload, from sender: Sender? = nil) -> SendResult<Payload, Output> {
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
        if let error = delivery.stoppingError {
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
        if let error = delivery.stoppingError {
            throw error
        }
        return delivery.result
    }

    @inlinable
    @inline(__always)
    func deliverSynchronously(_ payload: Payload, from sender: Sender?, stoppingAtFirstError: Bool) -> Delivery<Payload, Output> {
        guard let snapshot = takeSnapshot() else {
            return Delivery()
        }
        let index = snapshot._withUnsafeGuaranteedRef { $0.listIndex(for: sender) }
        return finish(deliver(payload, from: sender, to: snapshot, listIndex: index, stoppingAtFirstError: stoppingAtFirstError))
    }

    /// Runs the receivers of `snapshot`'s list at `listIndex`, without suspending: the asynchronous ones fail with
    /// ``SignalError/Code/asynchronousReceiverNotRun``. Consumes the caller's reference to `snapshot`: it goes to the
    /// result.
    @inlinable
    @inline(__always)
    func deliver(
        _ payload: Payload,
        from sender: Sender?,
        to snapshot: Unmanaged<Snapshot<Payload, Output>>,
        listIndex: Int,
        stoppingAtFirstError: Bool
    ) -> Delivery<Payload, Output> {
        // The caller's reference holds the snapshot, which holds the receivers, until the result takes it over at the
        // end: the send retains neither the list nor a receiver.
        let receivers = snapshot._withUnsafeGuaranteedRef { $0.lists[listIndex].receivers }
        var recorder = ResultRecorder<Payload, Output>(expectedCount: receivers.count, stoppingAtFirstError: stoppingAtFirstError)
        for index in receivers.indices {
            Unmanaged.passUnretained(receivers[index])._withUnsafeGuaranteedRef { receiver in
                do {
                    if let output = try receiver.synchronousBody?(payload) {
                        recorder.recordSuccess(output, at: index, of: receivers)
                        return
                    }
                } catch {
                    recorder.recordFailure(error, at: index, of: receivers)
                    return
                }
                recorder.record(receiver.runWithoutSuspending(payload, from: sender), at: index, of: receivers)
            }
            if recorder.isStopped {
                break
            }
        }
        let list = SnapshotList(snapshot.takeRetainedValue(), index: listIndex)
        return Delivery(recorder, ran: list, context: SendContext(signalName: name, payload: payload, sender: sender))
    }

    /// Runs every receiver; when none is asynchronous, exactly as a synchronous send does (nothing suspends, and,
    /// inlined, no executor is hopped to).
    @inlinable
    @inline(__always)
    func deliverAsynchronously(
        _ payload: Payload,
        from sender: Sender?,
        stoppingAtFirstError: Bool,
        isolation: isolated (any Actor)? = #isolation
    ) async -> Delivery<Payload, Output> {
        guard let snapshot = takeSnapshot() else {
            return Delivery()
        }
        let (index, mustAwait) = snapshot._withUnsafeGuaranteedRef { snapshot in
            let index = snapshot.listIndex(for: sender)
            return (index, snapshot.lists[index].hasAsynchronousReceivers)
        }
        guard mustAwait else {
            return finish(deliver(payload, from: sender, to: snapshot, listIndex: index, stoppingAtFirstError: stoppingAtFirstError))
        }
        let list = SnapshotList(snapshot.takeRetainedValue(), index: index)
        return finish(await deliver(payload, from: sender, toSuspending: list, stoppingAtFirstError: stoppingAtFirstError))
    }

    /// Runs the receivers of `list`, synchronous and asynchronous, awaiting each asynchronous one.
    @inlinable
    func deliver(
        _ payload: Payload,
        from sender: Sender?,
        toSuspending list: SnapshotList<Payload, Output>,
        stoppingAtFirstError: Bool,
        isolation: isolated (any Actor)? = #isolation
    ) async -> Delivery<Payload, Output> {
        let receivers = list.receivers
        var recorder = ResultRecorder<Payload, Output>(expectedCount: receivers.count, stoppingAtFirstError: stoppingAtFirstError)
        for (index, receiver) in receivers.enumerated() {
            let result = await receiver.run(payload, from: sender)
            recorder.record(result, at: index, of: receivers)
            if recorder.isStopped {
                break
            }
        }
        return Delivery(recorder, ran: list, context: SendContext(signalName: name, payload: payload, sender: sender))
    }

    /// A strong reference to the published snapshot, for the caller to consume; nil when muted or without receivers.
    @inlinable
    @inline(__always)
    func takeSnapshot() -> Unmanaged<Snapshot<Payload, Output>>? {
        switch published.takeReference() {
        case .taken(let snapshot): snapshot
        case .nothingPublished: nil
        case .exhausted: registeredSnapshot().map(Unmanaged.passRetained)
        }
    }

    /// Once a send is over: hands its receivers' errors to the error handler, and removes the receivers whose owner
    /// it found gone.
    @inlinable
    @inline(__always)
    func finish(_ delivery: Delivery<Payload, Output>) -> Delivery<Payload, Output> {
        if delivery.hasFailures {
            report(delivery.result)
        }
        if delivery.skippedDeadOwner {
            removeDeadConnections()
        }
        return delivery
    }

    /// Hands each error of `result` to the error handler, if the signal has one.
    @usableFromInline
    func report(_ result: SendResult<Payload, Output>) {
        guard let onReceiverError else {
            return
        }
        for failure in result.errors {
            onReceiverError(failure)
        }
    }

    @usableFromInline
    func removeDeadConnections() {
        updateRegistry { _ in }
    }
}

/// What a send did, and what it has left to do.
@usableFromInline
struct Delivery<Payload: Sendable, Output: Sendable> {
    @usableFromInline let result: SendResult<Payload, Output>
    /// Whether the send stopped at an error, which is then the last result.
    @usableFromInline let isStopped: Bool
    @usableFromInline let skippedDeadOwner: Bool
    /// Whether a receiver threw or could not run.
    @usableFromInline let hasFailures: Bool

    @inlinable
    @inline(__always)
    init() {
        result = SendResult()
        isStopped = false
        skippedDeadOwner = false
        hasFailures = false
    }

    @inlinable
    @inline(__always)
    init(
        _ recorder: ResultRecorder<Payload, Output>,
        ran list: consuming SnapshotList<Payload, Output>,
        context: @autoclosure () -> SendContext<Payload>
    ) {
        result = recorder.result(ran: list, context: context())
        isStopped = recorder.isStopped
        skippedDeadOwner = recorder.skippedDeadOwner
        hasFailures = recorder.hasFailures
    }

    /// The error the send stopped at, if it did: the last one.
    @inlinable
    var stoppingError: ReceiverError<Payload, Output>? {
        isStopped ? result.errors.last : nil
    }
}

extension ReturningSignal where Payload == Void {
    /// Sends a `Void` signal: ``send(_:from:)`` without `()`.
    @inlinable
    @inline(__always)
    @discardableResult
    public func send(from sender: Sender? = nil) -> SendResult<Payload, Output> {
        sendSynchronously((), from: sender)
    }

    /// Sends a `Void` signal to every receiver: `await send(_:from:)` without `()`.
    @inlinable
    @inline(__always)
    @discardableResult
    public func send(from sender: Sender? = nil, isolation: isolated (any Actor)? = #isolation) async -> SendResult<Payload, Output> {
        await send((), from: sender)
    }
}
