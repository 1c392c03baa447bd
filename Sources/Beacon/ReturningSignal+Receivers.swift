extension ReturningSignal {
    /// Whether `await send(_:from: sender)` would run any receiver right now: false when muted, when no receiver listens
    /// to `sender` or to any sender, or when every such receiver's owner is gone. Use it to skip building a costly
    /// payload. Blinker's `has_receivers_for`, without its stale answers after a sender-specific disconnect.
    public func hasReceivers(for sender: Sender? = nil) -> Bool {
        guard let snapshot = takeSnapshot()?.takeRetainedValue() else {
            return false
        }
        var liveness = (hasLive: false, hasDead: false)
        withExtendedLifetime(snapshot) {
            for receiver in snapshot.lists[snapshot.listIndex(for: sender)].all {
                if receiver.isAlive { liveness.hasLive = true } else { liveness.hasDead = true }
            }
        }
        if liveness.hasDead {
            removeDeadConnections()
        }
        return liveness.hasLive
    }

    /// The receivers a send from `sender` would reach, in the order it would run them, muted or not. Blinker's
    /// `receivers_for`.
    public func receivers(for sender: Sender? = nil) -> [Receiver<Payload, Output>] {
        updateRegistry { $0.receivers(reachedBy: sender) }.map { unsafeDowncast($0, to: Receiver<Payload, Output>.self) }
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
