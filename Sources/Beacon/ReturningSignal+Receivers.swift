extension ReturningSignal {
    /// Whether `await send(_:from: sender)` would run any receiver right now: false when muted, when no receiver listens
    /// to `sender` or to any sender, or when every such receiver's sender or owner is gone. Use it to skip building a
    /// costly payload. Blinker's `has_receivers_for`, without its stale answers after a sender-specific disconnect.
    ///
    /// It only looks: like every inspection, it removes nothing and announces nothing.
    public func hasReceivers(for sender: Sender?) -> Bool {
        guard let snapshot = takeSnapshot()?.takeRetainedValue() else {
            return false
        }
        // The list's object sender, if any, is alive: the caller's `sender` holds it.
        return withExtendedLifetime(snapshot) {
            snapshot.lists[snapshot.listIndex(for: sender)].receivers.contains { $0.isAlive }
        }
    }

    /// Whether some send would run a receiver right now: any receiver at all, for any sender or for one, that is alive
    /// (its sender and owner exist); false when muted. Blinker's `bool(signal.receivers)`.
    public func hasReceivers() -> Bool {
        published.isPublished && readRegistry { !$0.receivers(reachedBy: .all).isEmpty }
    }

    /// The receivers a send from `sender` (nil: from no sender) would reach, in the order it would run them, muted or
    /// not; without those whose sender or owner is gone. Blinker's `receivers_for`.
    public func receivers(for sender: Sender?) -> [Receiver<Payload, Output>] {
        typed(readRegistry { $0.receivers(reachedBy: .sender(sender)) })
    }

    /// Every receiver of the signal, for any sender and for one, each once, in registration order, muted or not;
    /// without those whose sender or owner is gone. Blinker's `receivers`.
    public func receivers() -> [Receiver<Payload, Output>] {
        typed(readRegistry { $0.receivers(reachedBy: .all) })
    }

    private func typed(_ receivers: [any RegisteredReceiver]) -> [Receiver<Payload, Output>] {
        receivers.map { unsafeDowncast($0, to: Receiver<Payload, Output>.self) }
    }

    /// Runs `body` with the signal muted: sends from anywhere run no receiver until it returns. Mutes nest: the signal
    /// is heard again when the outermost `muted` returns. Blinker's `muted()`.
    @discardableResult
    public func muted<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        updateRegistry { $0.mute() }
        defer { updateRegistry { $0.unmute() } }
        return try body()
    }

    /// Runs the asynchronous `body` with the signal muted; see the synchronous form.
    @discardableResult
    public func muted<Result, Failure: Error>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws(Failure) -> Result
    ) async throws(Failure) -> Result {
        updateRegistry { $0.mute() }
        defer { updateRegistry { $0.unmute() } }
        return try await body()
    }
}
