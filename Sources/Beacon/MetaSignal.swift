/// A signal's `receiverConnected` or `receiverDisconnected`: a ``Signal`` of ``ReceiverChange`` that only synchronous
/// receivers can join.
///
/// A meta-signal is sent by the task that connects or disconnects, from inside `connect`, `cancel` and the like, which
/// do not suspend: an asynchronous receiver could never run there. So the closure forms of `connect` take synchronous
/// closures only, and ``connect(_:from:)`` throws ``SignalError/Code/asynchronousMetaReceiver`` for an asynchronous
/// ``Receiver`` (Blinker raises in both cases). Errors its receivers throw go to the watched signal's error handler.
public final class MetaSignal: Sendable, CustomStringConvertible {
    let signal: Signal<ReceiverChange>

    init(_ signal: Signal<ReceiverChange>) {
        self.signal = signal
    }

    /// `name-of-the-signal.receiver-connected` (or `.receiver-disconnected`), without a prefix when the watched signal
    /// has no name.
    public var name: String? {
        signal.name
    }

    /// `signal 'name'`.
    public var description: String {
        signal.description
    }

    /// Connects a synchronous receiver, for changes of connections for `sender` or (nil) for every change.
    @discardableResult
    public func connect(
        from sender: Sender? = nil,
        file: StaticString = #fileID,
        line: UInt = #line,
        _ body: @escaping @Sendable (ReceiverChange) throws -> Void
    ) -> Subscription {
        signal.connect(Receiver(file: file, line: line, body), from: sender)
    }

    /// Connects a synchronous receiver bound to `owner`, disconnected once `owner` is deallocated.
    @discardableResult
    public func connect<Owner: AnyObject & Sendable>(
        from sender: Sender? = nil,
        owner: Owner,
        file: StaticString = #fileID,
        line: UInt = #line,
        _ body: @escaping @Sendable (Owner, ReceiverChange) throws -> Void
    ) -> Subscription {
        signal.connect(Receiver(owner: owner, file: file, line: line, body), from: sender)
    }

    /// Connects `receiver`, which must be synchronous: an asynchronous one is refused with
    /// ``SignalError/Code/asynchronousMetaReceiver``, and not connected.
    @discardableResult
    public func connect(_ receiver: Receiver<ReceiverChange, Void>, from sender: Sender? = nil) throws(SignalError) -> Subscription {
        guard !receiver.isAsynchronous else {
            throw SignalError(
                code: .asynchronousMetaReceiver,
                message: "\(receiver) is asynchronous, and \(signal) is sent synchronously: connect a synchronous receiver"
            )
        }
        return signal.connect(receiver, from: sender)
    }

    /// Disconnects every connection of `receiver`.
    public func disconnect(_ receiver: Receiver<ReceiverChange, Void>) {
        signal.disconnect(receiver)
    }

    /// Whether a change would run a receiver; see ``ReturningSignal/hasReceivers()``.
    public func hasReceivers() -> Bool {
        signal.hasReceivers()
    }

    /// The meta-signal's receivers; see ``ReturningSignal/receivers()``.
    public func receivers() -> [Receiver<ReceiverChange, Void>] {
        signal.receivers()
    }

    /// Announces `change`.
    func send(_ change: ReceiverChange) {
        signal.sendSynchronously(change)
    }
}
