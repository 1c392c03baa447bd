/// A function that a signal calls with its payload: Blinker's receiver, with an identity of its own.
///
/// Most code never names a `Receiver`: `signal.connect { payload in … }` makes one. Make one yourself to connect the same
/// receiver for several senders (it still runs once per send), to disconnect it everywhere at once, or to recognise it in
/// a send's results. Identity is the object's (equality is identity): two receivers made from the same closure are two
/// receivers.
///
/// A receiver is synchronous or asynchronous; a plain `send` runs the synchronous ones, `await send` runs all. An
/// owner-bound receiver (`Receiver(owner:) { owner, payload in … }`) holds its owner weakly, gets it as an argument while it lives,
/// and is disconnected once it is deallocated.
public final class Receiver<Payload: Sendable, Output: Sendable>: Sendable, Hashable, CustomStringConvertible {
    @usableFromInline
    enum Invocation: Sendable {
        case synchronous(@Sendable (Payload) throws -> Output)
        case asynchronous(@Sendable (Payload) async throws -> Output)
        case synchronousWithOwner(@Sendable (any AnyObject & Sendable, Payload) throws -> Output)
        case asynchronousWithOwner(@Sendable (any AnyObject & Sendable, Payload) async throws -> Output)
    }

    @usableFromInline let invocation: Invocation
    /// The owner of an owner-bound receiver; nil otherwise, or once the owner is gone.
    @usableFromInline weak let owner: (any AnyObject & Sendable)?
    private let file: StaticString
    private let line: UInt

    private init(invocation: Invocation, owner: (any AnyObject & Sendable)?, file: StaticString, line: UInt) {
        self.invocation = invocation
        self.owner = owner
        self.file = file
        self.line = line
    }

    /// A synchronous receiver.
    public convenience init(
        file: StaticString = #fileID,
        line: UInt = #line,
        _ body: @escaping @Sendable (Payload) throws -> Output
    ) {
        self.init(invocation: .synchronous(body), owner: nil, file: file, line: line)
    }

    /// An asynchronous receiver: only `await send` runs it.
    public convenience init(
        file: StaticString = #fileID,
        line: UInt = #line,
        _ body: @escaping @Sendable (Payload) async throws -> Output
    ) {
        self.init(invocation: .asynchronous(body), owner: nil, file: file, line: line)
    }

    /// A synchronous receiver bound to `owner`, which it holds weakly and gets as its first argument. Once `owner` is
    /// deallocated the receiver never runs again and is disconnected from every signal it is connected to.
    public convenience init<Owner: AnyObject & Sendable>(
        owner: Owner,
        file: StaticString = #fileID,
        line: UInt = #line,
        _ body: @escaping @Sendable (Owner, Payload) throws -> Output
    ) {
        let invocation = Invocation.synchronousWithOwner { owner, payload in
            try body(unsafeDowncast(owner, to: Owner.self), payload)
        }
        self.init(invocation: invocation, owner: owner, file: file, line: line)
    }

    /// An asynchronous receiver bound to `owner`; see the synchronous form.
    public convenience init<Owner: AnyObject & Sendable>(
        owner: Owner,
        file: StaticString = #fileID,
        line: UInt = #line,
        _ body: @escaping @Sendable (Owner, Payload) async throws -> Output
    ) {
        let invocation = Invocation.asynchronousWithOwner { owner, payload in
            try await body(unsafeDowncast(owner, to: Owner.self), payload)
        }
        self.init(invocation: invocation, owner: owner, file: file, line: line)
    }

    /// Whether only `await send` runs this receiver.
    public var isAsynchronous: Bool {
        switch invocation {
        case .synchronous, .synchronousWithOwner: false
        case .asynchronous, .asynchronousWithOwner: true
        }
    }

    /// Whether this receiver is bound to an owner.
    public var isOwnerBound: Bool {
        switch invocation {
        case .synchronous, .asynchronous: false
        case .synchronousWithOwner, .asynchronousWithOwner: true
        }
    }

    /// Whether this receiver can still run: it is not bound to an owner, or its owner is alive.
    @inlinable
    public var isAlive: Bool {
        switch invocation {
        case .synchronous, .asynchronous: true
        case .synchronousWithOwner, .asynchronousWithOwner: owner != nil
        }
    }

    public static func == (lhs: Receiver, rhs: Receiver) -> Bool {
        lhs === rhs
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(ObjectIdentifier(self))
    }

    /// `receiver at Module/File.swift:12`: where it was made.
    public var description: String {
        "receiver at \(file):\(line)"
    }
}
