import IntegrationSupport
import Logging
import Testing

@testable import BeaconAMQP

/// The connection's phases without a broker: every input in every phase.
@Suite("Connection state machine")
struct ConnectionStateMachineTests {
    typealias Machine = Engine.StateMachine

    static let lost = AMQPError(code: .socketError, message: "connection reset")
    static let refused = AMQPError(code: .accessRefused, message: "login refused", replyCode: 403)
    static let policy = AMQPReconnectPolicy(initialDelay: .milliseconds(100), maximumDelay: .seconds(1), multiplier: 2, jitter: 0)

    func machine(_ startup: AMQPConnection.Startup = .waitForBroker, reconnect: AMQPReconnectPolicy = policy) -> Machine {
        Machine(reconnect: reconnect, startup: startup)
    }

    @Test("starts connecting; a success connects and reports no failed attempts")
    func firstSuccess() {
        var machine = machine()
        #expect(machine.phase == .connecting(attempt: 0))
        let result1 = machine.attemptSucceeded()
        #expect(result1 == 0)
        #expect(machine.phase == .connected)
        #expect(machine.hasConnected)
    }

    @Test("a failed attempt waits with exponential backoff, capped, then connects again when due")
    func backoff() {
        var machine = machine()
        var random = SeededRandom()
        let delays = (0..<6).map { attempt -> Duration in
            let action = machine.attemptFailed(Self.lost, now: 1_000, using: &random)
            guard case .retry(let until, let delay, let next)? = action else {
                Issue.record("expected a retry, got \(String(describing: action))")
                return .zero
            }
            #expect(next == attempt + 1)
            #expect(until == 1_000 + delay.nanoseconds)
            #expect(machine.phase == .waiting(until: until, attempt: attempt + 1))
            let result2 = machine.retryIsDue(now: until - 1)
            #expect(!result2)
            let result3 = machine.retryIsDue(now: until)
            #expect(result3)
            #expect(machine.phase == .connecting(attempt: attempt + 1))
            return delay
        }
        #expect(delays == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .seconds(1), .seconds(1)])
        let result4 = machine.attemptSucceeded()
        #expect(result4 == 6, "the success reports the failures before it")
    }

    @Test("jitter takes up to its fraction off a delay, and spreads the delays")
    func jitter() {
        var random = SeededRandom()
        var delays: Set<Duration> = []
        for _ in 0..<100 {
            var machine = machine(reconnect: AMQPReconnectPolicy(initialDelay: .seconds(1), maximumDelay: .seconds(1), jitter: 0.5))
            guard case .retry(_, let delay, _)? = machine.attemptFailed(Self.lost, now: 0, using: &random) else {
                Issue.record("expected a retry")
                return
            }
            #expect(delay >= .milliseconds(500) && delay <= .seconds(1))
            delays.insert(delay)
        }
        #expect(delays.count > 50, "a fleet does not reconnect in lockstep")
    }

    @Test("a lost session retries from the first delay again, whatever came before")
    func lossAfterConnecting() {
        var machine = machine()
        var random = SeededRandom()
        _ = machine.attemptFailed(Self.lost, now: 0, using: &random)
        _ = machine.retryIsDue(now: .max)
        _ = machine.attemptSucceeded()
        let action = machine.sessionLost(Self.lost, now: 10, using: &random)
        #expect(action == .retry(until: 10 + Duration.milliseconds(100).nanoseconds, delay: .milliseconds(100), attempt: 1))
    }

    @Test("a failure outside its phase is ignored: a loss during an attempt is the attempt's, an attempt failure while connected never happens")
    func failuresOutOfPhase() {
        var machine = machine()
        var random = SeededRandom()
        let result5 = machine.sessionLost(Self.lost, now: 0, using: &random)
        #expect(result5 == nil)
        #expect(machine.phase == .connecting(attempt: 0))
        _ = machine.attemptSucceeded()
        let result6 = machine.attemptFailed(Self.lost, now: 0, using: &random)
        #expect(result6 == nil)
        #expect(machine.phase == .connected)
        _ = machine.sessionLost(Self.lost, now: 0, using: &random)
        let result7 = machine.sessionLost(Self.lost, now: 0, using: &random)
        #expect(result7 == nil, "waiting: nothing to lose")
    }

    @Test("fail fast: the first attempt's error ends the connection, even a transient one")
    func failFast() {
        var machine = machine(.failFast)
        var random = SeededRandom()
        #expect(!machine.willRetry(after: Self.lost))
        let result8 = machine.attemptFailed(Self.lost, now: 0, using: &random)
        #expect(result8 == .close(Self.lost))
        #expect(machine.phase == .closed(Self.lost))
        #expect(machine.isClosed)
    }

    @Test("fail fast applies to the first attempt only: once connected, losses are retried")
    func failFastThenConnected() {
        var machine = machine(.failFast)
        var random = SeededRandom()
        _ = machine.attemptSucceeded()
        #expect(machine.willRetry(after: Self.lost))
        guard case .retry? = machine.sessionLost(Self.lost, now: 0, using: &random) else {
            Issue.record("expected a retry")
            return
        }
        _ = machine.retryIsDue(now: .max)
        guard case .retry? = machine.attemptFailed(Self.refused, now: 0, using: &random) else {
            Issue.record("a refusal after a good session is retried too (a password may be rotated back)")
            return
        }
    }

    @Test(
        "waiting for the broker: a refusal no retry can mend ends the first attempt",
        arguments: Machine.permanentCodes.sorted { $0.name < $1.name }
    )
    func permanentFirstErrors(code: AMQPError.Code) {
        var machine = machine()
        var random = SeededRandom()
        let error = AMQPError(code: code, message: "refused")
        #expect(!machine.willRetry(after: error))
        let result9 = machine.attemptFailed(error, now: 0, using: &random)
        #expect(result9 == .close(error))
    }

    @Test(
        "waiting for the broker: unreachable, timed out, reset are retried",
        arguments: [AMQPError.Code.socketError, .timeout, .hostNotFound, .connectionLost, .heartbeatTimeout, .connectionForced]
    )
    func transientFirstErrors(code: AMQPError.Code) {
        var machine = machine()
        var random = SeededRandom()
        guard case .retry? = machine.attemptFailed(AMQPError(code: code, message: "later"), now: 0, using: &random) else {
            Issue.record("expected a retry for \(code)")
            return
        }
    }

    @Test("reconnection disabled: a lost session closes with its error")
    func noReconnect() {
        var machine = machine(reconnect: .never)
        var random = SeededRandom()
        _ = machine.attemptSucceeded()
        #expect(!machine.willRetry(after: Self.lost))
        let result10 = machine.sessionLost(Self.lost, now: 0, using: &random)
        #expect(result10 == .close(Self.lost))
    }

    @Test("close while connecting or waiting finishes at once; while connected it waits for publishes to settle")
    func closeInEachPhase() {
        var connecting = machine()
        let result11 = connecting.closeRequested()
        #expect(result11 == .finishNow)
        #expect(connecting.phase == .closed(nil))
        let result12 = connecting.closeRequested()
        #expect(result12 == .none, "a second request only waits")

        var waiting = machine()
        var random = SeededRandom()
        _ = waiting.attemptFailed(Self.lost, now: 0, using: &random)
        let result13 = waiting.closeRequested()
        #expect(result13 == .finishNow)
        let result14 = waiting.retryIsDue(now: .max)
        #expect(!result14, "no retry after a close")

        var connected = machine()
        _ = connected.attemptSucceeded()
        let result15 = connected.closeRequested()
        #expect(result15 == .closeWhenSettled)
        #expect(connected.phase == .connected, "still serving until publishes settle")
        let result16 = connected.closeRequested()
        #expect(result16 == .none)
        #expect(!connected.willRetry(after: Self.lost), "nothing is retried once closing")
        connected.closedByApplication()
        #expect(connected.phase == .closed(nil))
    }

    @Test("a session lost while closing closes without an error: the application asked for it")
    func lostWhileClosing() {
        var machine = machine()
        var random = SeededRandom()
        _ = machine.attemptSucceeded()
        _ = machine.closeRequested()
        let result17 = machine.sessionLost(Self.lost, now: 0, using: &random)
        #expect(result17 == .close(nil))
        #expect(machine.phase == .closed(nil))
    }
}

@Suite("Channel table")
struct ChannelTableTests {
    @Test("channels take the lowest free number; ids are never reused, numbers are")
    func numbering() throws {
        var table = ChannelTable()
        let first = try table.add(limit: 3)
        let second = try table.add(limit: 3)
        let third = try table.add(limit: 3)
        #expect([first.number, second.number, third.number] == [1, 2, 3])
        #expect([first.shared.id, second.shared.id, third.shared.id] == [1, 2, 3])
        table.remove(second)
        #expect(table[number: 2] == nil)
        #expect(table[id: second.shared.id] == nil)
        let fourth = try table.add(limit: 3)
        #expect(fourth.number == 2, "the freed number is taken again")
        #expect(fourth.shared.id == 4, "but not the id")
        #expect(table[number: 2] === fourth)
        #expect(table.inOrder.map(\.shared.id) == [1, 3, 4])
    }

    @Test("all numbers in use: RESOURCE_ERROR naming the limit, and the table is unchanged")
    func exhausted() throws {
        var table = ChannelTable()
        _ = try table.add(limit: 2)
        _ = try table.add(limit: 2)
        let error = #expect(throws: AMQPError.self) { try table.add(limit: 2) }
        #expect(error?.code == .resourceError)
        #expect(error?.message.contains("all 2 channel numbers") == true)
        #expect(table.all.count == 2)
        #expect(table.freeNumber(limit: 2) == nil)
        #expect(table.freeNumber(limit: 3) == 3)
    }

    @Test("removing a channel whose number was taken over leaves the newer one in place")
    func staleRemoval() throws {
        var table = ChannelTable()
        let old = try table.add(limit: 5)
        table.remove(old)
        let new = try table.add(limit: 5)
        #expect(new.number == old.number)
        table.remove(old)
        #expect(table[number: new.number] === new)
        #expect(table[id: new.shared.id] === new)
    }

    @Test("channel_max 0 means 65,535; larger values are capped there")
    func limits() {
        #expect(ChannelTable.limit(channelMax: 0) == 65_535)
        #expect(ChannelTable.limit(channelMax: 2047) == 2047)
        #expect(ChannelTable.limit(channelMax: 100_000) == 65_535)
    }
}

@Suite("Connection lifecycle without a broker")
struct ConnectionLifecycleTests {
    func connection() throws -> AMQPConnection {
        try AMQPConnection(configuration: AMQPConfiguration(url: "amqp://guest:guest@127.0.0.1:1/%2F"), logger: .init(label: "test"))
    }

    @Test("making a connection starts nothing; a request waits for run() and ends with CANCELLED when its task is cancelled")
    func requestBeforeRun() async throws {
        let connection = try connection()
        #expect(connection.status == .connecting)
        let waiting = Task { try await connection.declare(AMQPTopology(queues: [AMQPQueue("q")])) }
        try await Task.sleep(for: .milliseconds(50))
        waiting.cancel()
        let result = await waiting.result
        guard case .failure(let error) = result else {
            Issue.record("expected a failure")
            return
        }
        #expect((error as? AMQPError)?.code == .cancelled)
    }

    @Test("close() before run(): waiting requests fail as closed, status is closed, and a later run() returns at once")
    func closeBeforeRun() async throws {
        let connection = try connection()
        let waiting = Task { try await connection.openChannel() }
        try await Task.sleep(for: .milliseconds(50))
        await connection.close()
        let result = await waiting.result
        guard case .failure(let error) = result else {
            Issue.record("expected a failure")
            return
        }
        #expect((error as? AMQPError)?.code == .connectionClosed)
        #expect(connection.status == .closed(nil))
        try await connection.run()
        await #expect(throws: AMQPError.self) { try await connection.waitUntilConnected() }
    }

    @Test("run() twice is refused with INVALID_ARGUMENT")
    func runTwice() async throws {
        let connection = try connection()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try? await connection.run() }
            try await Task.sleep(for: .milliseconds(50))
            let error = await #expect(throws: AMQPError.self) { try await connection.run() }
            #expect(error?.code == .invalidArgument)
            await connection.close()
            try await group.waitForAll()
        }
    }

    @Test("fail fast against nothing listening: run() ends with SOCKET_ERROR, and waitUntilConnected() throws it")
    func failFastRun() async throws {
        let connection = try AMQPConnection(
            configuration: AMQPConfiguration(url: "amqp://guest:guest@127.0.0.1:1/%2F"),
            startup: .failFast,
            logger: .init(label: "test")
        )
        let waited = Task { try await connection.waitUntilConnected() }
        let error = await #expect(throws: AMQPError.self) { try await connection.run() }
        #expect(error?.code == .socketError)
        await #expect(throws: AMQPError.self) { try await waited.value }
    }

    @Test("withConnection closes the connection when the body throws, and rethrows the body's error")
    func scopedCloseOnError() async throws {
        struct Boom: Error {}
        // Fails fast (nothing listens on port 1): the body never runs, the connection's error comes out.
        let error = await #expect(throws: AMQPError.self) {
            try await AMQPConnection.withConnection(
                configuration: AMQPConfiguration(url: "amqp://guest:guest@127.0.0.1:1/%2F"),
                logger: .init(label: "test")
            ) { _ in
                throw Boom()
            }
        }
        #expect(error?.code == .socketError)
    }
}
