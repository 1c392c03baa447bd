extension ReturningSignal {
    /// Connects `receiver` for `sender`, or for every sender when `sender` is nil. Blinker's `connect(receiver, sender)`.
    ///
    /// Connecting a receiver that is already connected adds a connection; however many of its connections match a send,
    /// the receiver runs once, at the place of its earliest connection.
    @discardableResult
    public func connect(_ receiver: Receiver<Payload, Output>, from sender: Sender? = nil) -> Subscription {
        let connection = Connection(receiver: receiver, sender: sender, signal: self)
        updateRegistry { $0.connect(receiver, from: sender, through: connection) }
        return Subscription(connection)
    }

    /// Connects a synchronous receiver for `sender`, or for every sender when `sender` is nil.
    ///
    /// ```swift
    /// signal.connect { payload in … }
    /// signal.connect(from: .object(app)) { payload in … }
    /// ```
    @discardableResult
    public func connect(
        from sender: Sender? = nil,
        file: StaticString = #fileID,
        line: UInt = #line,
        _ body: @escaping @Sendable (Payload) throws -> Output
    ) -> Subscription {
        connect(Receiver(file: file, line: line, body), from: sender)
    }

    /// Connects an asynchronous receiver for `sender`, or for every sender when `sender` is nil: only `await send` runs it.
    @discardableResult
    public func connect(
        from sender: Sender? = nil,
        file: StaticString = #fileID,
        line: UInt = #line,
        _ body: @escaping @Sendable (Payload) async throws -> Output
    ) -> Subscription {
        connect(Receiver(file: file, line: line, body), from: sender)
    }

    /// Connects a synchronous receiver that gets the send's sender before the payload (nil when the send named none),
    /// as Blinker's receivers do: an any-sender receiver learns who sent.
    ///
    /// ```swift
    /// signal.connect { sender, payload in if sender?.object === app { … } }
    /// ```
    @discardableResult
    public func connect(
        from sender: Sender? = nil,
        file: StaticString = #fileID,
        line: UInt = #line,
        _ body: @escaping @Sendable (Sender?, Payload) throws -> Output
    ) -> Subscription {
        connect(Receiver(file: file, line: line, body), from: sender)
    }

    /// Connects an asynchronous receiver that gets the send's sender before the payload; see the synchronous form.
    @discardableResult
    public func connect(
        from sender: Sender? = nil,
        file: StaticString = #fileID,
        line: UInt = #line,
        _ body: @escaping @Sendable (Sender?, Payload) async throws -> Output
    ) -> Subscription {
        connect(Receiver(file: file, line: line, body), from: sender)
    }

    /// Connects a synchronous receiver bound to `owner`: it holds `owner` weakly, gets it as its first argument, and is
    /// disconnected once `owner` is deallocated (Blinker's weak receivers). Capture nothing strong of `owner` in `body`.
    ///
    /// ```swift
    /// signal.connect(owner: self) { me, payload in me.handle(payload) }
    /// ```
    @discardableResult
    public func connect<Owner: AnyObject & Sendable>(
        from sender: Sender? = nil,
        owner: Owner,
        file: StaticString = #fileID,
        line: UInt = #line,
        _ body: @escaping @Sendable (Owner, Payload) throws -> Output
    ) -> Subscription {
        connect(Receiver(owner: owner, file: file, line: line, body), from: sender)
    }

    /// Connects an asynchronous receiver bound to `owner`; see the synchronous form.
    @discardableResult
    public func connect<Owner: AnyObject & Sendable>(
        from sender: Sender? = nil,
        owner: Owner,
        file: StaticString = #fileID,
        line: UInt = #line,
        _ body: @escaping @Sendable (Owner, Payload) async throws -> Output
    ) -> Subscription {
        connect(Receiver(owner: owner, file: file, line: line, body), from: sender)
    }

    /// Connects a method of `owner`, given unapplied (`Handler.handle`), bound to `owner` as in the
    /// closure form `connect(owner:) { owner, payload in … }`: disconnected once `owner` is deallocated.
    ///
    /// ```swift
    /// signal.connect(owner: handler, Handler.handle)
    /// ```
    @discardableResult
    public func connect<Owner: AnyObject & Sendable>(
        from sender: Sender? = nil,
        owner: Owner,
        file: StaticString = #fileID,
        line: UInt = #line,
        _ method: @escaping @Sendable (Owner) -> @Sendable (Payload) throws -> Output
    ) -> Subscription {
        connect(Receiver(owner: owner, file: file, line: line) { owner, payload in try method(owner)(payload) }, from: sender)
    }

    /// Connects an asynchronous method of `owner`, given unapplied; see the synchronous form.
    @discardableResult
    public func connect<Owner: AnyObject & Sendable>(
        from sender: Sender? = nil,
        owner: Owner,
        file: StaticString = #fileID,
        line: UInt = #line,
        _ method: @escaping @Sendable (Owner) -> @Sendable (Payload) async throws -> Output
    ) -> Subscription {
        connect(Receiver(owner: owner, file: file, line: line) { owner, payload in try await method(owner)(payload) }, from: sender)
    }

    /// Disconnects every connection of `receiver`. Blinker's `disconnect(receiver)`.
    public func disconnect(_ receiver: Receiver<Payload, Output>) {
        updateRegistry { $0.disconnect(.receiver(receiver)) }
    }

    /// Disconnects `receiver` from `sender`, leaving its other connections (its any-sender one included).
    /// Blinker's `disconnect(receiver, sender)`.
    public func disconnect(_ receiver: Receiver<Payload, Output>, from sender: Sender) {
        updateRegistry { $0.disconnect(.receiverFromSender(receiver, SenderMatch(sender))) }
    }

    /// Disconnects every connection of the receiver behind `subscription` (what the closure forms of `connect` return),
    /// as `disconnect(receiver)` would: Blinker's `disconnect(receiver)` for a receiver you only have a
    /// subscription of. Does nothing for a subscription of another signal, or one that has ended.
    public func disconnect(_ subscription: Subscription) {
        if let receiver = receiver(of: subscription) {
            disconnect(receiver)
        }
    }

    /// The receiver behind `subscription`, if it is a connection of this signal that still lasts.
    public func receiver(of subscription: Subscription) -> Receiver<Payload, Output>? {
        guard let connection = subscription.connection as? Connection<Payload, Output>, connection.signal === self else {
            return nil
        }
        return readRegistry { $0.liveReceiver(of: connection) }.map { unsafeDowncast($0, to: Receiver<Payload, Output>.self) }
    }

    func disconnect(_ connection: Connection<Payload, Output>) {
        updateRegistry { $0.disconnect(.connection(connection)) }
    }

    /// Connects `receiver` for the duration of `body` (Blinker's `connected_to`), then cancels exactly that connection:
    /// connections made before, even of the same receiver, survive, so the signal is left as it was found.
    @discardableResult
    public func connected<Result, Failure: Error>(
        _ receiver: Receiver<Payload, Output>,
        from sender: Sender? = nil,
        during body: () throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let subscription = connect(receiver, from: sender)
        defer { subscription.cancel() }
        return try body()
    }

    /// Connects `receiver` for the duration of the asynchronous `body`; see the synchronous form.
    @discardableResult
    public func connected<Result, Failure: Error>(
        _ receiver: Receiver<Payload, Output>,
        from sender: Sender? = nil,
        isolation: isolated (any Actor)? = #isolation,
        during body: () async throws(Failure) -> Result
    ) async throws(Failure) -> Result {
        let subscription = connect(receiver, from: sender)
        defer { subscription.cancel() }
        return try await body()
    }

    /// Connects the receiver behind `subscription` (what the closure forms of `connect` return) once more, for the
    /// duration of `body`, as `connected(receiver, during:)` does. A subscription of another
    /// signal, or one that has ended, has no receiver to connect: `body` then runs with nothing more connected.
    @discardableResult
    public func connected<Result, Failure: Error>(
        _ subscription: Subscription,
        from sender: Sender? = nil,
        during body: () throws(Failure) -> Result
    ) throws(Failure) -> Result {
        guard let receiver = receiver(of: subscription) else {
            return try body()
        }
        return try connected(receiver, from: sender, during: body)
    }
}
