/// A function that a signal calls with its payload: Blinker's receiver, with an identity of its own.
///
/// Most code never names a `Receiver`: `signal.connect { payload in … }` makes one. Make one yourself to connect the same
/// receiver for several senders (it still runs once per send), to disconnect it everywhere at once, or to recognise it in
/// a send's results. Identity is the object's (equality is identity): two receivers made from the same closure are two
/// receivers.
///
/// A receiver is synchronous or asynchronous; a plain `send` runs the synchronous ones (and reports each asynchronous
/// one it met as a ``SignalError`` in its result), `await send` runs all. A receiver may take the sender before the
/// payload (`Receiver { sender, payload in … }`). An owner-bound receiver (`Receiver(owner:) { owner, payload in … }`) holds its owner weakly, gets it as an argument while
/// it lives, and is disconnected once it is deallocated.
public final class Receiver<Payload: Sendable, Output: Sendable>: Sendable, Hashable, CustomStringConvertible {
    // Exactly one of the four bodies is set. They are optional fields rather than the cases of an enum because a send
    // calls a field of a borrowed receiver without retaining the closure, where switching over an enum copies it.

    /// The body of a synchronous receiver that takes the payload alone: what a send calls in its fast path.
    @usableFromInline let synchronousBody: (@Sendable (Payload) throws -> Output)?
    @usableFromInline let asynchronousBody: (@Sendable (Payload) async throws -> Output)?
    /// The body of a synchronous receiver that takes its owner or the sender; it gets the owner (nil when not bound to
    /// one) and the send's sender.
    @usableFromInline let synchronousBodyWithContext: (@Sendable ((any AnyObject & Sendable)?, Sender?, Payload) throws -> Output)?
    @usableFromInline let asynchronousBodyWithContext: (@Sendable ((any AnyObject & Sendable)?, Sender?, Payload) async throws -> Output)?
    /// The owner of an owner-bound receiver; nil otherwise, or once the owner is gone.
    @usableFromInline weak let owner: (any AnyObject & Sendable)?
    /// Whether this receiver is bound to an owner.
    public let isOwnerBound: Bool
    private let file: StaticString
    private let line: UInt

    private init(
        synchronousBody: (@Sendable (Payload) throws -> Output)? = nil,
        asynchronousBody: (@Sendable (Payload) async throws -> Output)? = nil,
        synchronousBodyWithContext: (@Sendable ((any AnyObject & Sendable)?, Sender?, Payload) throws -> Output)? = nil,
        asynchronousBodyWithContext: (@Sendable ((any AnyObject & Sendable)?, Sender?, Payload) async throws -> Output)? = nil,
        owner: (any AnyObject & Sendable)? = nil,
        file: StaticString,
        line: UInt
    ) {
        self.synchronousBody = synchronousBody
        self.asynchronousBody = asynchronousBody
        self.synchronousBodyWithContext = synchronousBodyWithContext
        self.asynchronousBodyWithContext = asynchronousBodyWithContext
        self.owner = owner
        self.isOwnerBound = owner != nil
        self.file = file
        self.line = line
    }

    /// A synchronous receiver.
    public convenience init(
        file: StaticString = #fileID,
        line: UInt = #line,
        _ body: @escaping @Sendable (Payload) throws -> Output
    ) {
        self.init(synchronousBody: body, file: file, line: line)
    }

    /// An asynchronous receiver: only `await send` runs it.
    public convenience init(
        file: StaticString = #fileID,
        line: UInt = #line,
        _ body: @escaping @Sendable (Payload) async throws -> Output
    ) {
        self.init(asynchronousBody: body, file: file, line: line)
    }

    /// A synchronous receiver that gets the send's sender first, as Blinker's receivers do: nil when the send named
    /// none. Connected for any sender, it learns who sent without the payload carrying a copy.
    ///
    /// ```swift
    /// signal.connect { sender, payload in print(sender?.object === app, payload) }
    /// ```
    public convenience init(
        file: StaticString = #fileID,
        line: UInt = #line,
        _ body: @escaping @Sendable (Sender?, Payload) throws -> Output
    ) {
        self.init(synchronousBodyWithContext: { _, sender, payload in try body(sender, payload) }, file: file, line: line)
    }

    /// An asynchronous receiver that gets the send's sender first; see the synchronous form.
    public convenience init(
        file: StaticString = #fileID,
        line: UInt = #line,
        _ body: @escaping @Sendable (Sender?, Payload) async throws -> Output
    ) {
        self.init(asynchronousBodyWithContext: { _, sender, payload in try await body(sender, payload) }, file: file, line: line)
    }

    /// A synchronous receiver bound to `owner`, which it holds weakly and gets as its first argument. Once `owner` is
    /// deallocated the receiver never runs again and is disconnected from every signal it is connected to.
    public convenience init<Owner: AnyObject & Sendable>(
        owner: Owner,
        file: StaticString = #fileID,
        line: UInt = #line,
        _ body: @escaping @Sendable (Owner, Payload) throws -> Output
    ) {
        self.init(
            synchronousBodyWithContext: { owner, _, payload in try body(unsafeDowncast(owner.unsafelyUnwrapped, to: Owner.self), payload) },
            owner: owner,
            file: file,
            line: line
        )
    }

    /// An asynchronous receiver bound to `owner`; see the synchronous form.
    public convenience init<Owner: AnyObject & Sendable>(
        owner: Owner,
        file: StaticString = #fileID,
        line: UInt = #line,
        _ body: @escaping @Sendable (Owner, Payload) async throws -> Output
    ) {
        self.init(
            asynchronousBodyWithContext: { owner, _, payload in
                try await body(unsafeDowncast(owner.unsafelyUnwrapped, to: Owner.self), payload)
            },
            owner: owner,
            file: file,
            line: line
        )
    }

    /// Whether only `await send` runs this receiver.
    public var isAsynchronous: Bool {
        asynchronousBody != nil || asynchronousBodyWithContext != nil
    }

    /// Whether this receiver can still run: it is not bound to an owner, or its owner is alive.
    public var isAlive: Bool {
        !isOwnerBound || owner != nil
    }

    /// Runs a receiver that a plain send cannot call through ``synchronousBody``: one that takes its owner or the
    /// sender, or an asynchronous one, which does not run and fails with ``SignalError/Code/asynchronousReceiverNotRun``.
    /// Nil when its owner is gone.
    @inlinable
    func runWithoutSuspending(_ payload: Payload, from sender: Sender?) -> Result<Output, any Error>? {
        let owner = owner
        if isOwnerBound, owner == nil {
            return nil
        }
        guard let body = synchronousBodyWithContext else {
            return .failure(notRunError())
        }
        return Result { try body(owner, sender, payload) }
    }

    /// Why a plain send did not run this asynchronous receiver.
    @usableFromInline
    func notRunError() -> SignalError {
        SignalError(
            code: .asynchronousReceiverNotRun,
            message: "\(self) is asynchronous and a plain send does not run it: use `await send` (or connect it synchronously)"
        )
    }

    /// Runs any receiver, awaiting it if it is asynchronous; nil when its owner is gone.
    @usableFromInline
    func run(_ payload: Payload, from sender: Sender?, isolation: isolated (any Actor)? = #isolation) async -> Result<Output, any Error>? {
        do {
            if let body = synchronousBody {
                return .success(try body(payload))
            }
            if let body = asynchronousBody {
                return .success(try await body(payload))
            }
            let owner = owner
            if isOwnerBound, owner == nil {
                return nil
            }
            if let body = synchronousBodyWithContext {
                return .success(try body(owner, sender, payload))
            }
            if let body = asynchronousBodyWithContext {
                return .success(try await body(owner, sender, payload))
            }
            preconditionFailure("Beacon: a receiver without a body")
        } catch {
            return .failure(error)
        }
    }

    /// Whether both are the same receiver (identity).
    public static func == (lhs: Receiver, rhs: Receiver) -> Bool {
        lhs === rhs
    }

    /// Hashes the receiver's identity.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(ObjectIdentifier(self))
    }

    /// `receiver at Module/File.swift:12`: where it was made.
    public var description: String {
        "receiver at \(file):\(line)"
    }
}
