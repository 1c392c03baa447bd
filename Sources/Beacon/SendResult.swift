/// What one send did: every receiver that ran, in call order, with what it returned or threw — Blinker's
/// `[(receiver, result)]`.
///
/// When the receivers return `Void` and none throws (the common case), nothing is recorded during the send: the results
/// follow from the list of receivers that ran, and are derived when you read them. Such a send allocates nothing.
///
/// ```swift
/// for (receiver, result) in signal.send(query) {
///     print(receiver, try result.get())
/// }
/// ```
public struct SendResult<Payload: Sendable, Output: Sendable>: Sendable {
    /// A receiver that ran, with what it returned or threw.
    public typealias Element = (receiver: Receiver<Payload, Output>, result: Result<Output, any Error>)

    /// The receivers that ran, when each returned `()` (`Output` is `Void` and none threw); nil otherwise.
    @usableFromInline let ranVoid: SnapshotList<Payload, Output>?
    /// What each receiver did, with what the errors tell of the send, when that is not implied by `ranVoid`.
    /// A class: it holds the send's context, a copy of the payload, which inline would make every result (and every
    /// send returning one) as large as the payload; such a result allocates anyway, for its array.
    @usableFromInline let recorded: RecordedResults<Payload, Output>?

    @inlinable
    @inline(__always)
    init(ranVoid: consuming SnapshotList<Payload, Output>) {
        self.ranVoid = ranVoid
        self.recorded = nil
    }

    @inlinable
    @inline(__always)
    init(recorded: RecordedResults<Payload, Output>) {
        self.ranVoid = nil
        self.recorded = recorded
    }

    /// The result of a send that ran no receiver.
    @inlinable
    @inline(__always)
    init() {
        self.ranVoid = nil
        self.recorded = nil
    }

    /// The errors the receivers threw, each with its receiver, in call order.
    public var errors: [ReceiverError<Payload, Output>] {
        guard let recorded else {
            return []
        }
        return recorded.elements.compactMap { element in
            guard case .failure(let error) = element.result else {
                return nil
            }
            return ReceiverError(receiver: element.receiver, error: error, context: recorded.context)
        }
    }

    /// What the receivers that did not throw returned, in call order.
    public var outputs: [Output] {
        compactMap { try? $0.result.get() }
    }
}

extension SendResult: RandomAccessCollection {
    /// The first receiver that ran is at 0.
    public var startIndex: Int { 0 }

    /// The number of receivers that ran.
    public var endIndex: Int {
        recorded?.elements.count ?? ranVoid?.receivers.count ?? 0
    }

    /// The receiver that ran `position`-th, with its result.
    public subscript(position: Int) -> Element {
        if let recorded {
            return recorded.elements[position]
        }
        // An unsafe buffer, which checks no bounds in a release build.
        let receivers = ranVoid?.receivers ?? UnsafeBufferPointer(start: nil, count: 0)
        precondition(receivers.indices.contains(position), "SendResult: index \(position) out of range")
        return (receivers[position], .success(() as! Output))
    }
}

/// Collects one send's results receiver by receiver, recording nothing while every receiver returns `()`.
@usableFromInline
struct ResultRecorder<Payload: Sendable, Output: Sendable> {
    /// nil while the results are implied by the receivers that ran (see ``SendResult/ranVoid``).
    @usableFromInline var recorded: ContiguousArray<SendResult<Payload, Output>.Element>?
    @usableFromInline let stopsAtFirstError: Bool
    /// Whether the send stopped at an error: the last recorded result. (Trivial fields only, so that keeping the
    /// recorder around costs no retain.)
    @usableFromInline var isStopped = false
    /// Whether a receiver was skipped because its owner is gone: the signal then removes such receivers.
    @usableFromInline var skippedDeadOwner = false
    /// Whether a receiver threw (or could not run): the signal's error handler then sees the errors.
    @usableFromInline var hasFailures = false

    @inlinable
    @inline(__always)
    init(expectedCount: Int, stoppingAtFirstError: Bool) {
        stopsAtFirstError = stoppingAtFirstError
        if Output.self == Void.self {
            recorded = nil
        } else {
            recorded = []
            recorded!.reserveCapacity(expectedCount)
        }
    }

    /// Records that `receivers[index]` returned `output`: nothing to do while all returned `()`.
    @inlinable
    @inline(__always)
    mutating func recordSuccess(_ output: Output, at index: Int, of receivers: UnsafeBufferPointer<Receiver<Payload, Output>>) {
        if recorded != nil {
            recorded!.append((receivers[index], .success(output)))
        }
    }

    /// Records that `receivers[index]` threw `error`.
    @usableFromInline
    mutating func recordFailure(_ error: any Error, at index: Int, of receivers: UnsafeBufferPointer<Receiver<Payload, Output>>) {
        recordImpliedResultsIfNeeded(before: index, of: receivers)
        recorded!.append((receivers[index], .failure(error)))
        hasFailures = true
        isStopped = stopsAtFirstError
    }

    /// Records what `receivers[index]` did, or, given nil, that it did not run because its owner is gone.
    @inlinable
    mutating func record(_ result: Result<Output, any Error>?, at index: Int, of receivers: UnsafeBufferPointer<Receiver<Payload, Output>>) {
        switch result {
        case .success(let output):
            recordSuccess(output, at: index, of: receivers)
        case .failure(let error):
            recordFailure(error, at: index, of: receivers)
        case nil:
            skippedDeadOwner = true
            recordImpliedResultsIfNeeded(before: index, of: receivers)
        }
    }

    @usableFromInline
    mutating func recordImpliedResultsIfNeeded(before index: Int, of receivers: UnsafeBufferPointer<Receiver<Payload, Output>>) {
        if recorded == nil {
            recorded = ContiguousArray(receivers[..<index].map { ($0, .success(() as! Output)) })
        }
    }

    /// The result, given that the receivers that ran are `list` except those skipped.
    @inlinable
    @inline(__always)
    func result(
        ran list: consuming SnapshotList<Payload, Output>,
        context: @autoclosure () -> SendContext<Payload>
    ) -> SendResult<Payload, Output> {
        if let recorded {
            return SendResult(recorded: RecordedResults(elements: recorded, context: context()))
        }
        return SendResult(ranVoid: list)
    }
}

/// What each receiver of a send did, and what its errors tell of the send.
@usableFromInline
final class RecordedResults<Payload: Sendable, Output: Sendable>: Sendable {
    @usableFromInline let elements: ContiguousArray<SendResult<Payload, Output>.Element>
    @usableFromInline let context: SendContext<Payload>

    @inlinable
    init(elements: ContiguousArray<SendResult<Payload, Output>.Element>, context: SendContext<Payload>) {
        self.elements = elements
        self.context = context
    }
}
