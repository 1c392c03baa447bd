extension ReturningSignal {
    /// Connects `receiver` for `sender`, or for every sender when `sender` is nil. Blinker's `connect(receiver, sender)`.
    ///
    /// Connecting a receiver that is already connected adds a connection; however many of its connections match a send,
    /// the receiver runs once, at the place of its earliest connection.
    @discardableResult
    public func connect(_ receiver: Receiver<Payload, Output>, from sender: Sender? = nil) -> Subscription {
        Subscription(updateRegistry { $0.connect(receiver, from: sender, to: self) })
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

    /// Disconnects every connection of `receiver`. Blinker's `disconnect(receiver)`.
    public func disconnect(_ receiver: Receiver<Payload, Output>) {
        updateRegistry { $0.disconnect { $0.receiver === receiver } }
    }

    /// Disconnects `receiver` from `sender`, leaving its other connections (its any-sender one included).
    /// Blinker's `disconnect(receiver, sender)`.
    public func disconnect(_ receiver: Receiver<Payload, Output>, from sender: Sender) {
        let match = SenderMatch(sender)
        updateRegistry { $0.disconnect { $0.receiver === receiver && $0.sender == match } }
    }

    func disconnect(_ connection: Connection<Payload, Output>) {
        updateRegistry { $0.disconnect { $0.connection === connection } }
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
}
