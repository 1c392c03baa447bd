import BeaconAMQP
import IntegrationSupport
import Testing

@testable import BeaconTasks

@Suite struct RetryPolicyTests {
    @Test func waitsDoubleUpToTheCapWithoutJitter() {
        let policy = RetryPolicy(maximumAttempts: 10, initialDelay: .seconds(1), maximumDelay: .seconds(20), jitter: .none)
        var random = SeededRandom(state: 1)
        let waits = (0..<9).map { policy.delay(afterRetries: $0, using: &random) }
        #expect(waits == [1, 2, 4, 8, 16, 20, 20, 20, 20].map { .seconds($0) })
        #expect(policy.delay(afterRetries: 9, using: &random) == nil)
    }

    @Test func attemptsCountTheFirstRun() {
        let policy = RetryPolicy(maximumAttempts: 3, jitter: .none)
        #expect([0, 1, 2, 3].map(policy.allowsRetry(afterRetries:)) == [true, true, false, false])
        #expect(RetryPolicy.never.delay(afterRetries: 0) == nil)
        #expect(policy.delay(afterRetries: -1) == nil)
    }

    @Test func fullJitterIsUniformBelowTheWaitAndReproducible() {
        let policy = RetryPolicy(maximumAttempts: 100, initialDelay: .seconds(4), maximumDelay: .seconds(4), jitter: .full)
        var first = SeededRandom(state: 42)
        var second = SeededRandom(state: 42)
        let waits = (0..<200).map { _ in policy.delay(afterRetries: 0, using: &first)! }
        #expect(waits == (0..<200).map { _ in policy.delay(afterRetries: 0, using: &second)! })
        #expect(waits.allSatisfy { $0 >= .zero && $0 <= .seconds(4) })
        #expect(waits.contains { $0 < .seconds(1) } && waits.contains { $0 > .seconds(3) })
        var other = SeededRandom(state: 43)
        #expect(waits != (0..<200).map { _ in policy.delay(afterRetries: 0, using: &other)! })
    }

    @Test func equalJitterKeepsAtLeastHalf() {
        let policy = RetryPolicy(maximumAttempts: 100, initialDelay: .seconds(8), maximumDelay: .seconds(60), jitter: .equal)
        var random = SeededRandom(state: 7)
        let waits = (0..<200).map { _ in policy.delay(afterRetries: 1, using: &random)! }
        #expect(waits.allSatisfy { $0 >= .seconds(8) && $0 <= .seconds(16) })
        #expect(waits.contains { $0 < .seconds(10) } && waits.contains { $0 > .seconds(14) })
    }

    @Test func hugeRetryCountsDoNotOverflow() {
        let century = Duration.seconds(86_400 * 365 * 100)
        let policy = RetryPolicy(maximumAttempts: .max, initialDelay: .seconds(1), maximumDelay: century, jitter: .none)
        #expect(policy.backoff(retry: 10_000) == century)
        var random = SeededRandom(state: 3)
        #expect(policy.delay(afterRetries: Int.max - 2, using: &random) == century)
    }
}

@Suite struct DelayedDeliveryPlanTests {
    let plan = DelayedDeliveryPlan.celery

    @Test func threeSecondsGiveTheKeyCeleryUsed() throws {
        let captured = Celery.nativeDelayed
        let route = try #require(try plan.route(delay: .seconds(3), routingKey: "tasks.q"))
        #expect(route.exchange == captured.exchange)
        #expect(route.routingKey == captured.routingKey)
    }

    @Test func delaysAreWholeSecondsAsInCelery() throws {
        #expect(try plan.route(delay: .milliseconds(999), routingKey: "q") == nil)
        #expect(try plan.route(delay: .milliseconds(5900), routingKey: "q")?.routingKey == String(repeating: "0.", count: 25) + "1.0.1.q")
        let longest = try #require(try plan.route(delay: .seconds(plan.maximumDelaySeconds), routingKey: "q"))
        #expect(longest.routingKey == String(repeating: "1.", count: 28) + "q")
        let error = try #require(throws: DelayedDeliveryError.self) {
            try plan.route(delay: .seconds(plan.maximumDelaySeconds + 1), routingKey: "q")
        }
        #expect(error.code == .delayTooLong)
        #expect(throws: DelayedDeliveryError.self) { try plan.route(delay: .seconds(3), routingKey: "") }
    }

    @Test func aRetryOfADelayedMessageDoesNotStackPrefixes() throws {
        let captured = Celery.nativeDelayed
        #expect(plan.strippingDelayPrefix(captured.routingKey) == "tasks.q")
        #expect(try plan.route(delay: .seconds(1), routingKey: captured.routingKey)?.routingKey == String(repeating: "0.", count: 27) + "1.tasks.q")
        #expect(plan.strippingDelayPrefix("0.1.tasks.q") == "0.1.tasks.q")
        #expect(plan.strippingDelayPrefix("tasks.q") == "tasks.q")
    }

    @Test func topologyIsKombusLadder() throws {
        let topology = plan.topology()
        #expect(topology.queues.count == 28)
        #expect(topology.exchanges.count == 29)
        #expect(topology.exchanges.allSatisfy { $0.kind == .topic && $0.durable })
        let top = try #require(topology.queues.first { $0.name == "celery_delayed_27" })
        #expect(top.arguments["x-message-ttl"] == .int64(134_217_728_000))
        #expect(top.arguments["x-dead-letter-exchange"] == "celery_delayed_26")
        #expect(top.arguments["x-queue-type"] == "quorum")
        #expect(top.arguments["x-overflow"] == "reject-publish")
        #expect(top.arguments["x-dead-letter-strategy"] == "at-least-once")
        let bottom = try #require(topology.queues.first { $0.name == "celery_delayed_0" })
        #expect(bottom.arguments["x-message-ttl"] == .int32(1000))
        #expect(bottom.arguments["x-dead-letter-exchange"] == "celery_delayed_delivery")
        #expect(topology.bindings.contains(.queue("celery_delayed_27", exchange: "celery_delayed_27", routingKey: "1.#")))
        #expect(topology.bindings.contains(.queue("celery_delayed_26", exchange: "celery_delayed_26", routingKey: "*.1.#")))
        #expect(topology.bindings.contains(AMQPBinding(.exchange("celery_delayed_26"), exchange: "celery_delayed_27", routingKey: "0.#")))
        let zero = String(repeating: "*.", count: 27) + "0.#"
        #expect(topology.bindings.contains(AMQPBinding(.exchange("celery_delayed_delivery"), exchange: "celery_delayed_0", routingKey: zero)))
        #expect(topology.bindings.count == 56)
        #expect(plan.topology(queueType: .classic).queues.allSatisfy { $0.arguments["x-dead-letter-strategy"] == nil })
    }

    /// Follows a message through the plan's bindings and TTLs, as the broker would: it must end in its queue after
    /// exactly the delay.
    @Test(arguments: [1, 3, 5, 100, 86_400])
    func aMessageWalksTheLadderForExactlyItsDelay(seconds: Int) throws {
        var bindings = plan.topology().bindings
        // A queue whose name ends like the target's must not get its delayed messages (Celery's `#.tasks.q` would).
        bindings += [plan.deliveryBinding(queue: "tasks.q"), plan.deliveryBinding(queue: "q"), plan.deliveryBinding(queue: "eu.tasks.q")]
        let route = try #require(try plan.route(delay: .seconds(seconds), routingKey: "tasks.q"))
        var exchange = route.exchange
        var waited = 0
        var hops = 0
        while hops < 100 {
            hops += 1
            let matches = bindings.filter { $0.exchange == exchange && topicMatches($0.routingKey, route.routingKey) }
            try #require(matches.count == 1, "exchange \(exchange) routes \(route.routingKey) to \(matches.count) places")
            switch matches[0].destination {
            case .exchange(let next):
                exchange = next
            case .queue("tasks.q"):
                #expect(waited == seconds)
                return
            case .queue(let name):
                let queue = try #require(plan.topology().queues.first { $0.name == name })
                waited += queue.arguments["x-message-ttl"]!.intValue! / 1000
                exchange = queue.arguments["x-dead-letter-exchange"]!.stringValue!
            }
        }
        Issue.record("the message never arrived")
    }

    private func topicMatches(_ pattern: String, _ key: String) -> Bool {
        func match(_ pattern: ArraySlice<Substring>, _ key: ArraySlice<Substring>) -> Bool {
            guard let first = pattern.first else { return key.isEmpty }
            if first == "#" { return (0...key.count).contains { match(pattern.dropFirst(), key.dropFirst($0)) } }
            guard let word = key.first, first == "*" || first == word else { return false }
            return match(pattern.dropFirst(), key.dropFirst())
        }
        return match(ArraySlice(pattern.split(separator: ".")), ArraySlice(key.split(separator: ".")))
    }
}
