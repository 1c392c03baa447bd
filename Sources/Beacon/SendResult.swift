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
    public typealias Element = (receiver: Receiver<Payload, Output>, result: Result<Output, any Error>)

    @usableFromInline
    enum Storage: Sendable {
        /// Each of these receivers ran and returned `()`: `Output` is `Void` and none threw.
        case allReturnedVoid(ContiguousArray<Receiver<Payload, Output>>)
        /// What each receiver did, with the name of the signal for the errors.
        case recorded(ContiguousArray<Element>, signalName: String?)
    }

    @usableFromInline let storage: Storage

    @inlinable
    init(_ storage: Storage) {
        self.storage = storage
    }

    /// The result of a send that ran no receiver.
    @inlinable
    init() {
        self.storage = .allReturnedVoid([])
    }

    /// The errors the receivers threw, each with its receiver, in call order.
    public var errors: [ReceiverError<Payload, Output>] {
        guard case .recorded(let elements, let signalName) = storage else {
            return []
        }
        return elements.compactMap { element in
            guard case .failure(let error) = element.result else {
                return nil
            }
            return ReceiverError(receiver: element.receiver, error: error, signalName: signalName)
        }
    }

    /// What the receivers that did not throw returned, in call order.
    public var outputs: [Output] {
        compactMap { try? $0.result.get() }
    }
}

extension SendResult: RandomAccessCollection {
    public var startIndex: Int { 0 }

    public var endIndex: Int {
        switch storage {
        case .allReturnedVoid(let receivers): receivers.count
        case .recorded(let elements, _): elements.count
        }
    }

    public subscript(position: Int) -> Element {
        switch storage {
        case .allReturnedVoid(let receivers): (receivers[position], .success(() as! Output))
        case .recorded(let elements, _): elements[position]
        }
    }
}

/// Collects one send's results receiver by receiver, recording nothing while every receiver returns `()`.
@usableFromInline
struct ResultRecorder<Payload: Sendable, Output: Sendable> {
    /// nil while the results are implied by the receivers that ran (see ``SendResult/Storage/allReturnedVoid(_:)``).
    @usableFromInline var recorded: ContiguousArray<SendResult<Payload, Output>.Element>?
    /// The first error, once `send` was asked to stop at it.
    @usableFromInline var stoppingError: ReceiverError<Payload, Output>?
    /// Whether a receiver was skipped because its owner is gone: the signal then removes such receivers.
    @usableFromInline var skippedDeadOwner = false

    @inlinable
    init(expectedCount: Int) {
        if Output.self == Void.self {
            recorded = nil
        } else {
            recorded = []
            recorded!.reserveCapacity(expectedCount)
        }
    }

    /// Records what `receivers[index]` did.
    @inlinable
    mutating func record(
        _ result: Result<Output, any Error>,
        at index: Int,
        of receivers: ContiguousArray<Receiver<Payload, Output>>
    ) {
        if recorded == nil {
            if case .success = result {
                return
            }
            recordImpliedResults(before: index, of: receivers)
        }
        recorded!.append((receivers[index], result))
    }

    /// Notes that `receivers[index]` did not run: its owner is gone.
    @inlinable
    mutating func skipReceiverWithoutOwner(at index: Int, of receivers: ContiguousArray<Receiver<Payload, Output>>) {
        skippedDeadOwner = true
        if recorded == nil {
            recordImpliedResults(before: index, of: receivers)
        }
    }

    @usableFromInline
    mutating func recordImpliedResults(before index: Int, of receivers: ContiguousArray<Receiver<Payload, Output>>) {
        recorded = ContiguousArray(receivers[..<index].map { ($0, .success(() as! Output)) })
    }

    /// The result, given that the receivers that ran are `receivers` except those skipped.
    @inlinable
    func result(ran receivers: ContiguousArray<Receiver<Payload, Output>>, signalName: String?) -> SendResult<Payload, Output> {
        SendResult(recorded.map { .recorded($0, signalName: signalName) } ?? .allReturnedVoid(receivers))
    }
}
