import BeaconAMQP
import Foundation
import Testing

@testable import BeaconTasks

/// Headers Celery writes and Beacon does not: reprs of the arguments (they would show in the RabbitMQ UI) and the
/// sender's `gen<pid>@<host>` (Beacon sends `origin` only when told).
private let celeryOnly: Set<String> = ["argsrepr", "kwargsrepr", "origin"]

@Suite struct CapturedTaskMessageTests {
    @Test(arguments: Celery.taskNames)
    func decodesEveryCapturedTaskMessage(name: String) throws {
        let captured = Celery.task(name)
        let message = try TaskMessage(properties: captured.properties, body: captured.body)
        let headers = captured.headersJSON
        #expect(message.name == headers["task"]?.stringValue)
        #expect(message.id == headers["id"]?.stringValue)
        #expect(message.id == captured.properties.correlationID)
        #expect(message.rootID == headers["root_id"]?.stringValue)
        #expect(message.parentID == headers["parent_id"]?.stringValue)
        #expect(message.group == headers["group"]?.stringValue)
        #expect(message.groupIndex.map(Int64.init) == headers["group_index"]?.integerValue)
        #expect(message.retries == 0)
        #expect(message.replyTo == captured.properties.replyTo)
        #expect(message.priority == captured.properties.priority)
        let body = try JSONValue.parse(captured.body)
        #expect(JSONValue.array(message.args) == body.arrayValue?[0])
        #expect(JSONValue.object(message.kwargs) == body.arrayValue?[1])
        #expect(JSONValue.object(message.embed.json) == body.arrayValue?[2])
        #expect(message.requestID == nil)
        #expect(message.otherHeaders.keys == (headers["x-request-id"] == nil ? [] : ["x-request-id"]))
    }

    @Test func decodesEtaExpiresTimeLimitsAndPriority() throws {
        let captured = Celery.task("apply_async_rpc_countdown_expires_priority")
        let message = try TaskMessage(properties: captured.properties, body: captured.body)
        #expect(message.eta == Celery.time("2026-12-02T03:35:19.289477+00:00"))
        #expect(message.expires == Celery.time("2026-12-02T03:44:49.289477+00:00"))
        // [hard, soft] on the wire: time_limit=60, soft_time_limit=50 was captured as [60, 50].
        #expect(message.timeLimits == TaskTimeLimits(soft: .seconds(50), hard: .seconds(60)))
        #expect(message.priority == 5)
        #expect(message.ignoreResult == false)
        #expect(message.args == [4, 5])
        #expect(message.otherHeaders["x-request-id"] == "req-abc")
        #expect(message.embed.hasCanvas == false)
    }

    @Test func keepsTheChainReversedAsOnTheWireAndOffersItInRunOrder() throws {
        let captured = Celery.task("chain_first_message")
        let message = try TaskMessage(properties: captured.properties, body: captured.body)
        #expect(message.embed.hasCanvas)
        #expect(message.embed.chain?.count == 1)
        #expect(message.embed.chain?.first?["task"] == "proj.mul")
        #expect(message.embed.chain?.first?["options"]?["task_id"] == "33333333-3333-4333-8333-333333333333")
        // A longer chain: the wire's last element runs next.
        var embed = message.embed
        embed.json["chain"] = [["task": "third"], ["task": "second"]]
        #expect(embed.chainInRunOrder.map { $0["task"] } == ["second", "third"])
    }

    @Test func keepsCallbacksAndErrbacks() throws {
        let captured = Celery.task("link_and_link_error")
        let message = try TaskMessage(properties: captured.properties, body: captured.body)
        #expect(message.embed.callbacks?.first?["task"] == "proj.mul")
        #expect(message.embed.errbacks?.first?["args"] == ["errback"])
        #expect(message.embed.chord == nil)
        // Passed on unchanged.
        let again = try TaskMessage(properties: message.wire().properties, body: message.wire().body)
        #expect(again.embed == message.embed)
    }

    @Test func decodesRetryRepublicationsAndTheNativeDelayedMessage() throws {
        let retries = try Celery.retries.map { try TaskMessage(properties: $0.properties, body: $0.body) }
        #expect(retries.map(\.retries) == [0, 1, 2])
        #expect(retries.map(\.parentID) == [nil, "bbbbbbbb-0000-4000-8000-000000000001", "bbbbbbbb-0000-4000-8000-000000000001"])
        #expect(retries[0].ignoreResult == false)  // void: Python's None
        #expect(retries[2].eta == Celery.time("2026-12-02T03:36:40.654121+00:00"))
        let delayed = Celery.nativeDelayed
        let message = try TaskMessage(properties: delayed.properties, body: delayed.body)
        #expect(message.name == "projq.add")
        #expect(message.eta == Celery.time("2026-12-02T03:43:15.369725+00:00"))
    }
}

@Suite struct CeleryParityTests {
    /// Beacon's encoding of `send_task('proj.add', args=(2, 3), task_id=…, ignore_result=True)`.
    @Test func plainSendTaskMatchesCelery() throws {
        let captured = Celery.task("send_task_plain")
        let message = try TaskMessage(
            name: "proj.add",
            args: [2, 3],
            options: TaskOptions(
                taskID: "11111111-1111-4111-8111-111111111111",
                replyTo: "6b23ce85-c624-391b-bcc1-5b3ce2219dfd",
                ignoreResult: true
            )
        )
        try expectSameAsCelery(message.wire(routingKey: "celery"), captured)
    }

    /// `add.apply_async((4, 5), countdown=30, expires=600, priority=5, time_limit=60, soft_time_limit=50,
    /// headers={'x-request-id': 'req-abc'})`, enqueued at eta − 30 s.
    @Test func applyAsyncWithEveryOptionMatchesCelery() throws {
        let captured = Celery.task("apply_async_rpc_countdown_expires_priority")
        let now = Celery.time("2026-12-02T03:34:49.289477+00:00")
        var message = try TaskMessage(
            name: "proj.add",
            args: [4, 5],
            options: TaskOptions(
                countdown: .seconds(30),
                expires: .after(.seconds(600)),
                taskID: "22222222-2222-4222-8222-222222222222",
                timeLimits: TaskTimeLimits(soft: .seconds(50), hard: .seconds(60)),
                priority: 5,
                replyTo: "6b23ce85-c624-391b-bcc1-5b3ce2219dfd"
            ),
            now: now
        )
        message.otherHeaders["x-request-id"] = "req-abc"
        let wire = message.wire(routingKey: "celery", now: now)
        #expect(wire.properties.expiration == "600000")
        try expectSameAsCelery(wire, captured)
    }

    @Test(arguments: ["group_member_0", "group_member_1", "chain_first_message", "link_and_link_error"])
    func reencodingACapturedMessageGivesCeleryHeadersAndBody(name: String) throws {
        let captured = Celery.task(name)
        let message = try TaskMessage(properties: captured.properties, body: captured.body)
        // A message passed on keeps its origin; only the reprs are dropped.
        try expectSameAsCelery(message.wire(routingKey: captured.routingKey), captured, dropping: ["argsrepr", "kwargsrepr"])
    }

    /// Celery's retry of `proj.flaky(7)`: the next capture is the previous one retried.
    @Test(arguments: [(0, 1), (1, 2)])
    func retriedMatchesCeleryRepublication(from: Int, delaySeconds: Int) throws {
        let previous = Celery.retries[from]
        let next = Celery.retries[from + 1]
        let message = try TaskMessage(properties: previous.properties, body: previous.body)
        let eta = Celery.time(next.headersJSON["eta"]!.stringValue!)
        let retried = message.retried(after: .seconds(delaySeconds), now: eta.addingTimeInterval(-Double(delaySeconds)))
        try expectSameAsCelery(retried.wire(routingKey: next.routingKey, exchange: next.exchange), next, dropping: ["argsrepr", "kwargsrepr"])
    }

    @Test func headersGoInCeleryOrderThenBeaconsThenOthers() throws {
        var message = try TaskMessage(
            name: "proj.add",
            options: TaskOptions(idempotencyKey: "order-42", requestID: "req-1", origin: "web@host")
        )
        message.otherHeaders["x-custom"] = "kept"
        #expect(
            message.headers.keys == [
                "lang", "task", "id", "shadow", "eta", "expires", "group", "group_index", "retries", "timelimit", "root_id",
                "parent_id", "origin", "ignore_result", "replaced_task_nesting", "stamped_headers", "stamps", "beacon-request-id",
                "beacon-idempotency-key", "x-custom",
            ]
        )
        #expect(message.headers["argsrepr"] == nil)
        #expect(message.headers["kwargsrepr"] == nil)
        #expect(message.headers["lang"] == "py")
        #expect(message.headers["beacon-request-id"] == "req-1")
        #expect(message.headers["beacon-idempotency-key"] == "order-42")
        #expect(message.headers["origin"] == "web@host")
    }

    @Test func writesIntegersAsPyAMQPDoesAndNoneAsVoid() throws {
        let message = try TaskMessage(name: "proj.add", options: TaskOptions(timeLimits: TaskTimeLimits(soft: .milliseconds(1500))))
        #expect(message.headers["retries"] == .int32(0))
        #expect(message.headers["timelimit"] == [.void, .double(1.5)])
        #expect(message.headers["parent_id"] == .void)
        #expect(message.headers["stamps"] == .table([:]))
        #expect(message.id == message.id.lowercased())
        #expect(UUID(uuidString: message.id) != nil)
        #expect(message.rootID == message.id)
    }

    private func expectSameAsCelery(_ wire: TaskWireMessage, _ captured: Celery.Captured, dropping: Set<String> = celeryOnly) throws {
        #expect(wire.exchange == captured.exchange)
        #expect(wire.routingKey == captured.routingKey)
        #expect(wire.properties.headers.sorted == captured.properties.headers.removing(dropping).sorted)
        var properties = wire.properties
        var expected = captured.properties
        properties.headers = [:]
        expected.headers = [:]
        #expect(properties == expected)
        #expect(try JSONValue.parse(wire.body) == JSONValue.parse(captured.body))
    }
}

@Suite struct TypedTaskTests {
    static let now = Celery.time("2026-12-02T10:00:00.5+00:00")
    static let arguments = SendReceipt.Arguments(
        orderID: 42,
        email: "ada@example.com",
        items: [.init(sku: "B-1", quantity: 2)],
        placedAt: Celery.time("2026-12-01T09:30:00.123456+00:00")
    )

    @Test func structArgumentsGoAsKwargsAndComeBack() throws {
        let message = try TaskMessage(SendReceipt.self, arguments: Self.arguments, now: Self.now)
        #expect(message.args.isEmpty)
        #expect(message.kwargs["orderID"] == 42)
        #expect(message.kwargs["placedAt"] == "2026-12-01T09:30:00.123456+00:00")
        let wire = message.wire(now: Self.now)
        let decoded = try TaskMessage(properties: wire.properties, body: wire.body)
        #expect(decoded == message)
        #expect(try decoded.arguments(for: SendReceipt.self) == Self.arguments)
    }

    @Test func everyOptionSurvivesTheWire() throws {
        var message = try TaskMessage(
            SendReceipt.self,
            arguments: Self.arguments,
            options: TaskOptions(
                countdown: .milliseconds(1500),
                expires: .at(Self.now.addingTimeInterval(3600)),
                taskID: "t-1",
                idempotencyKey: "receipt-42",
                requestID: "req-7",
                timeLimits: TaskTimeLimits(soft: .seconds(30), hard: .seconds(45)),
                retries: 2,
                priority: 3,
                replyTo: "amq.rabbitmq.reply-to",
                ignoreResult: true,
                parentID: "p-1",
                rootID: "r-1",
                origin: "web@host"
            ),
            now: Self.now
        )
        message.otherHeaders["x-trace"] = "abc"
        let wire = message.wire(now: Self.now)
        #expect(wire.properties.expiration == "3600000")
        let decoded = try TaskMessage(properties: wire.properties, body: wire.body)
        #expect(decoded == message)
        #expect(decoded.requestID == "req-7" && decoded.idempotencyKey == "receipt-42")
        #expect(decoded.eta == Self.now.addingTimeInterval(1.5))
    }

    @Test func positionalArgumentsGoAsArgsAndComeBack() throws {
        let message = try TaskMessage(Add.self, arguments: Add.Arguments(x: 2, y: 3))
        #expect(message.args == [2, 3])
        #expect(message.kwargs.isEmpty)
        let wire = message.wire()
        let decoded = try TaskMessage(properties: wire.properties, body: wire.body)
        #expect(try decoded.arguments(for: Add.self) == Add.Arguments(x: 2, y: 3))
        // Celery's own add(2, 3) decodes into the same Swift arguments.
        let captured = Celery.task("send_task_plain")
        #expect(try TaskMessage(properties: captured.properties, body: captured.body).arguments(for: Add.self) == Add.Arguments(x: 2, y: 3))
    }

    @Test func noArgumentsIsAnEmptyObject() throws {
        enum Ping: TaskDefinition {
            static let name = "ops.ping"
            typealias Arguments = NoArguments
            typealias Output = NoOutput
        }
        let message = try TaskMessage(Ping.self, arguments: NoArguments())
        #expect(message.args.isEmpty && message.kwargs.isEmpty)
        #expect(try message.arguments(for: Ping.self) == NoArguments())
    }

    @Test func defaultOptionsApplyWhenNoneAreGiven() throws {
        enum Nightly: TaskDefinition {
            static let name = "ops.nightly"
            typealias Arguments = NoArguments
            typealias Output = NoOutput
            static var defaultOptions: TaskOptions { TaskOptions(queue: "slow", ignoreResult: true) }
        }
        #expect(try TaskMessage(Nightly.self, arguments: NoArguments()).ignoreResult)
        #expect(try TaskMessage(Nightly.self, arguments: NoArguments()).wire().routingKey == "slow")
        #expect(try TaskMessage(Nightly.self, arguments: NoArguments()).wire(routingKey: "other").routingKey == "other")
        #expect(try TaskMessage(name: "ops.plain").wire().routingKey == "celery")
        #expect(try TaskMessage(Nightly.self, arguments: NoArguments(), options: TaskOptions()).ignoreResult == false)
    }

    @Test func scalarArgumentsAreRefused() throws {
        enum Shout: TaskDefinition {
            static let name = "ops.shout"
            typealias Arguments = String
            typealias Output = NoOutput
        }
        let error = try #require(throws: TaskEncodingError.self) { try TaskMessage(Shout.self, arguments: "hey") }
        #expect(error.code == .invalidArguments)
        #expect(error.message.contains("ops.shout"))
    }

    @Test func argumentsThatDoNotDecodeNameTheTaskAndTheField() throws {
        let message = try TaskMessage(
            name: SendReceipt.name,
            kwargs: ["orderID": 42, "email": "ada@example.com", "items": [["sku": "B-1", "quantity": "two"]]]
        )
        let error = try #require(throws: TaskDecodingError.self) { try message.arguments(for: SendReceipt.self) }
        #expect(error.code == .invalidArguments)
        #expect(error.message.contains("shop.send_receipt"))
        #expect(error.message.contains("kwargs.items[0].quantity"))

        let missing = try TaskMessage(name: SendReceipt.name, kwargs: ["orderID": 42, "items": []])
        let missingError = try #require(throws: TaskDecodingError.self) { try missing.arguments(for: SendReceipt.self) }
        #expect(missingError.message.contains("kwargs.email: missing"))
    }

    @Test func bothArgsAndKwargsAreRefused() throws {
        let message = try TaskMessage(name: Add.name, args: [1], kwargs: ["y": 2])
        let error = try #require(throws: TaskDecodingError.self) { try message.arguments(for: Add.self) }
        #expect(error.code == .invalidArguments)
    }

    @Test func keywordTaskGivenPositionalArgsSaysSo() throws {
        let message = try TaskMessage(name: SendReceipt.name, args: [42, "ada@example.com"])
        let error = try #require(throws: TaskDecodingError.self) { try message.arguments(for: SendReceipt.self) }
        #expect(error.code == .invalidArguments)
        #expect(error.message.contains("positional args only"))
    }

    @Test func argumentsForAnotherTaskAreRefused() throws {
        let message = try TaskMessage(Add.self, arguments: Add.Arguments(x: 1, y: 2))
        let error = try #require(throws: TaskDecodingError.self) { try message.arguments(for: SendReceipt.self) }
        #expect(error.code == .wrongTask)
    }

    @Test func countdownBecomesEtaAndExpiryBecomesTTL() throws {
        let message = try TaskMessage(
            name: "proj.add",
            options: TaskOptions(countdown: .seconds(3), eta: Self.now.addingTimeInterval(999), expires: .after(.seconds(60))),
            now: Self.now
        )
        #expect(message.eta == Self.now.addingTimeInterval(3))
        #expect(message.headers["eta"] == "2026-12-02T10:00:03.500000+00:00")
        #expect(message.wire(now: Self.now).properties.expiration == "60000")
        #expect(message.wire(now: Self.now.addingTimeInterval(61)).properties.expiration == "0")
        let noDelay = try TaskMessage(name: "proj.add", options: TaskOptions(countdown: .zero), now: Self.now)
        #expect(noDelay.eta == nil && noDelay.headers["eta"] == .void)
        #expect(noDelay.wire().properties.expiration == nil)
    }

    @Test(arguments: [
        TaskOptions(countdown: .seconds(-1)),
        TaskOptions(expires: .after(.seconds(-5))),
        TaskOptions(idempotencyKey: ""),
        TaskOptions(timeLimits: TaskTimeLimits(hard: .zero)),
        TaskOptions(retries: -1),
    ])
    func invalidOptionsAreRefused(options: TaskOptions) throws {
        let error = try #require(throws: TaskEncodingError.self) { try TaskMessage(name: "proj.add", options: options) }
        #expect(error.code == .invalidOptions)
    }

    @Test func invalidNamesAreRefusedWhenEncoding() throws {
        let error = try #require(throws: TaskEncodingError.self) { try TaskMessage(name: "send receipt") }
        #expect(error.code == .invalidTaskName)
    }
}
