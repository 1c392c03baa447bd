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
        guard let snapshot = takeSnapshot() else {
            return Delivery()
        }
        let index = snapshot._withUnsafeGuaranteedRef { $0.listIndex(for: sender) }
        return finish(deliver(payload, to: snapshot, listIndex: index, stoppingAtFirstError: stoppingAtFirstError))
    }

    /// Runs the synchronous receivers of `snapshot`'s list at `listIndex`, without suspending. Consumes the caller's
    /// reference to `snapshot`: it goes to the result.
    @inlinable
    @inline(__always)
    func deliver(
        _ payload: Payload,
        to snapshot: Unmanaged<Snapshot<Payload, Output>>,
        listIndex: Int,
        stoppingAtFirstError: Bool
    ) -> Delivery<Payload, Output> {
        // The caller's reference holds the snapshot, which holds the receivers, until the result takes it over at the
        // end: the send retains neither the list nor a receiver.
        let receivers = snapshot._withUnsafeGuaranteedRef { $0.lists[listIndex].synchronous }
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
                recorder.record(receiver.runWithOwner(payload), at: index, of: receivers)
            }
            if recorder.isStopped {
                break
            }
        }
        let list = SnapshotList(snapshot.takeRetainedValue(), index: listIndex, includesAsynchronous: false)
        return Delivery(recorder, ran: list, signalName: name)
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
            return finish(deliver(payload, to: snapshot, listIndex: index, stoppingAtFirstError: stoppingAtFirstError))
        }
        let list = SnapshotList(snapshot.takeRetainedValue(), index: index, includesAsynchronous: true)
        return finish(await deliver(payload, toSuspending: list, stoppingAtFirstError: stoppingAtFirstError))
    }

    /// Runs the receivers of `list`, synchronous and asynchronous, awaiting each asynchronous one.
    @inlinable
    func deliver(
        _ payload: Payload,
        toSuspending list: SnapshotList<Payload, Output>,
        stoppingAtFirstError: Bool,
        isolation: isolated (any Actor)? = #isolation
    ) async -> Delivery<Payload, Output> {
        let receivers = list.receivers
        var recorder = ResultRecorder<Payload, Output>(expectedCount: receivers.count, stoppingAtFirstError: stoppingAtFirstError)
        for (index, receiver) in receivers.enumerated() {
            let result = await receiver.run(payload)
            recorder.record(result, at: index, of: receivers)
            if recorder.isStopped {
                break
            }
        }
        return Delivery(recorder, ran: list, signalName: name)
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

    /// Removes the receivers whose owner a send found gone, once the send is over.
    @inlinable
    @inline(__always)
    func finish(_ delivery: Delivery<Payload, Output>) -> Delivery<Payload, Output> {
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
        ran list: consuming SnapshotList<Payload, Output>,
        signalName: @autoclosure () -> String?
    ) {
        result = recorder.result(ran: list, signalName: signalName())
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
