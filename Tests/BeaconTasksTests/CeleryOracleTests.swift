import BeaconAMQP
import Foundation
import IntegrationSupport
import Testing

@testable import BeaconTasks

/// Celery's own `app.amqp.as_task_v2` builds the message for the same inputs, and py-amqp says which field type
/// each header gets on the wire; Beacon's encoding must agree, but for `argsrepr`, `kwargsrepr` and `origin`.
///
/// Needs Celery 5.7 in a Python (``TestServices/celeryPython()``: scripts/test-services makes one with
/// scripts/celery-python): skipped in a plain `swift test`, a failure under `make test` without it.
@Suite
struct CeleryOracleTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let label: String
        let options: TaskOptions
        let args: [JSONValue]
        let kwargs: JSONObject
        /// as_task_v2's keyword arguments, as a Python dict literal (`now` and `task_id` are added).
        let python: String
        var testDescription: String { label }
    }

    static let now = Celery.time("2026-12-02T03:34:49.289477+00:00")

    static let cases: [Case] = [
        Case(label: "plain", options: TaskOptions(), args: [2, 3], kwargs: [:], python: "dict(args=(2, 3), kwargs={})"),
        Case(
            label: "countdown, expires, limits",
            options: TaskOptions(
                countdown: .seconds(30),
                expires: .after(.seconds(600)),
                timeLimits: TaskTimeLimits(soft: .seconds(50), hard: .seconds(60)),
                replyTo: "reply.q",
                ignoreResult: true
            ),
            args: [],
            kwargs: ["order": 42, "email": "ada@example.com", "tags": ["a", nil], "nested": ["x": 1.5]],
            python: """
                dict(args=(), kwargs={'order': 42, 'email': 'ada@example.com', 'tags': ['a', None], 'nested': {'x': 1.5}},
                     countdown=30, expires=600, time_limit=60, soft_time_limit=50, reply_to='reply.q', ignore_result=True)
                """
        ),
        Case(
            label: "retry with lineage and a soft limit",
            options: TaskOptions(
                eta: Celery.time("2026-12-02T03:36:38+00:00"),
                expires: .at(Celery.time("2026-12-03T00:00:00.000001+00:00")),
                timeLimits: TaskTimeLimits(soft: .milliseconds(2500)),
                retries: 3,
                parentID: "parent-1",
                rootID: "root-1"
            ),
            args: [7],
            kwargs: [:],
            python: """
                dict(args=(7,), kwargs={}, eta=datetime(2026, 12, 2, 3, 36, 38, tzinfo=timezone.utc),
                     expires=datetime(2026, 12, 3, 0, 0, 0, 1, tzinfo=timezone.utc), soft_time_limit=2.5, retries=3,
                     parent_id='parent-1', root_id='root-1')
                """
        ),
    ]

    @Test(arguments: cases)
    func encodesAsCeleryDoes(testCase: Case) throws {
        var options = testCase.options
        options.taskID = "99999999-9999-4999-8999-999999999999"
        let message = try TaskMessage(name: "proj.oracle", args: testCase.args, kwargs: testCase.kwargs, options: options, now: Self.now)
        let wire = message.wire(now: Self.now)
        let celery = try CeleryOracle.asTaskV2(testCase.python, python: try TestServices.celeryPython())

        let ours: [JSONValue] = wire.properties.headers.map { .array([.string($0.key), CeleryOracle.tagged($0.value)]) }
        let theirs = celery["headers"]!.arrayValue!.filter { !["argsrepr", "kwargsrepr", "origin"].contains($0.arrayValue![0].stringValue!) }
        #expect(JSONValue.array(ours) == JSONValue.array(theirs))
        #expect(try JSONValue.parse(wire.body) == celery["body"])
        #expect(celery["properties"]?["correlation_id"]?.stringValue == wire.properties.correlationID)
        #expect(celery["properties"]?["reply_to"]?.stringValue == (wire.properties.replyTo ?? ""))
    }
}

enum CeleryOracle {
    /// Runs as_task_v2 with these keyword arguments; answers `{"headers": [[name, tagged value]…], "properties", "body"}`.
    static func asTaskV2(_ arguments: String, python: String) throws -> JSONValue {
        let script = """
            import json, sys
            from datetime import datetime, timezone
            from celery import Celery
            from amqp.serialization import dumps
            from kombu.utils.json import dumps as kombu_dumps

            def tag(value):
                # The field type py-amqp writes for a value: encode it alone in a table, read the type octet.
                raw = dumps('F', [{'k': value}])
                kind = chr(raw[4 + 1 + 1])
                if kind == 'A':
                    return {'A': [tag(v) for v in value]}
                if kind == 'F':
                    return {'F': {k: tag(v) for k, v in value.items()}}
                if kind == 'V':
                    return {'V': None}
                return {kind: value}

            app = Celery('oracle', set_as_current=False)
            options = \(arguments.replacingOccurrences(of: "\n", with: " "))
            message = app.amqp.as_task_v2('99999999-9999-4999-8999-999999999999', 'proj.oracle',
                                          now=datetime(2026, 12, 2, 3, 34, 49, 289477, tzinfo=timezone.utc), **options)
            print(json.dumps({
                'headers': [[k, tag(v)] for k, v in message.headers.items()],
                'properties': message.properties,
                'body': json.loads(kombu_dumps(message.body)),
            }))
            """
        let output = try ExternalCommand.run(python, ["-c", script])
        let line = output.split(separator: "\n").last.map(String.init) ?? ""
        return try JSONValue.parse(Array(line.utf8))
    }

    /// A header value as the oracle tags it: `{type: value}`.
    static func tagged(_ value: AMQPFieldValue) -> JSONValue {
        switch value {
        case .void: ["V": nil]
        case .string(let text): ["S": .string(text)]
        case .int32(let integer): ["I": .integer(Int64(integer))]
        case .int64(let integer): ["l": .integer(integer)]
        case .bool(let flag): ["t": .bool(flag)]
        case .double(let double): ["d": .double(double)]
        case .array(let elements): ["A": .array(elements.map(tagged))]
        case .table(let table): ["F": .object(JSONObject(table.entries.map { (key: $0.key, value: tagged($0.value)) }))]
        default: ["?": .string(value.description)]
        }
    }
}
