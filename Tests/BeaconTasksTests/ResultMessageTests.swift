import BeaconAMQP
import Foundation
import Testing

@testable import BeaconTasks

@Suite struct ResultMessageTests {
    @Test(arguments: 0..<9)
    func decodesAndReencodesEveryCapturedResult(index: Int) throws {
        let captured = Celery.results[index]
        let result = try TaskResultMessage(properties: captured.properties, body: captured.body)
        #expect(result.taskID == captured.properties.correlationID)
        let wire = result.wire(replyTo: captured.routingKey)
        #expect(wire.exchange == captured.exchange)
        #expect(wire.routingKey == captured.routingKey)
        #expect(wire.properties == captured.properties)
        // Same members, same order as the rpc:// backend writes them.
        #expect(try JSONValue.parse(wire.body) == JSONValue.parse(captured.body))
        #expect(wire.amqpMessage(mandatory: false).mandatory == false)
    }

    @Test func readsStatesResultsAndFailures() throws {
        let results = try Celery.results.map { try TaskResultMessage(properties: $0.properties, body: $0.body) }
        #expect(results.map(\.state.rawValue) == ["SUCCESS", "FAILURE", "PROGRESS", "RETRY", "PROGRESS", "SUCCESS", "RETRY", "FAILURE", "REVOKED"])
        #expect(results[0].result == 5)
        #expect(results[0].dateDone == Celery.time("2026-12-02T03:35:36.668540+00:00"))
        #expect(try results[0].output(for: Add.self) == 5)
        #expect(results[1].failure == TaskFailure(type: "ValueError", message: "kaput", module: "builtins"))
        #expect(results[1].traceback?.hasSuffix("ValueError: kaput\n") == true)
        #expect(results[2].result == ["done": 1, "total": 2])
        #expect(results[2].failure == nil && results[2].dateDone == nil)
        #expect(results[3].children == [[["aaaaaaaa-0000-4000-8000-000000000003", nil], nil]])
        #expect(results[3].parentID == nil && results[6].parentID == "aaaaaaaa-0000-4000-8000-000000000003")
        #expect(results[8].failure == TaskFailure(type: "TaskRevokedError", message: "revoked", module: "celery.exceptions"))
        #expect(results.map(\.state.isFinal) == [true, true, false, false, false, true, false, true, true])
    }

    @Test func outputThrowsTheFailure() throws {
        let captured = Celery.results[1]
        let result = try TaskResultMessage(properties: captured.properties, body: captured.body)
        let failure = try #require(throws: TaskFailure.self) { try result.output(for: Add.self) }
        #expect(failure.description == "builtins.ValueError: kaput")
    }

    @Test func buildsWhatTheRPCBackendSends() throws {
        let done = Celery.time("2026-12-02T03:35:36.668540+00:00")
        let success = try TaskResultMessage.success(Add.self, taskID: "aaaaaaaa-0000-4000-8000-000000000001", output: 5, dateDone: done)
        #expect(try JSONValue.parse(success.wire(replyTo: "capture.replies").body) == JSONValue.parse(Celery.results[0].body))

        let revoked = TaskResultMessage.revoked(
            taskID: "aaaaaaaa-0000-4000-8000-000000000005",
            dateDone: Celery.time("2026-12-02T03:35:41.684165+00:00")
        )
        #expect(try JSONValue.parse(revoked.wire(replyTo: "capture.replies").body) == JSONValue.parse(Celery.results[8].body))

        let progress = TaskResultMessage.progress(taskID: "aaaaaaaa-0000-4000-8000-000000000004", meta: ["done": 1, "total": 2])
        #expect(try JSONValue.parse(progress.wire(replyTo: "capture.replies").body) == JSONValue.parse(Celery.results[2].body))

        let failure = TaskResultMessage.failure(taskID: "t", TaskFailure(type: "MailError", message: "no route"), dateDone: done)
        let body = try JSONValue.parse(failure.wire(replyTo: "r").body)
        #expect(body["result"] == ["exc_type": "MailError", "exc_message": ["no route"], "exc_module": "beacon"])
        #expect(body["traceback"] == .null)
        #expect(body["date_done"] == "2026-12-02T03:35:36.668540+00:00")
        let retry = TaskResultMessage.failure(taskID: "t", TaskFailure(type: "MailError", message: "busy"), state: .retry)
        #expect(retry.dateDone == nil)
    }

    @Test func typedOutputsRoundTrip() throws {
        let result = try TaskResultMessage.success(SendReceipt.self, taskID: "t1", output: .init(messageID: "<m@x>"))
        let wire = result.wire(replyTo: "amq.rabbitmq.reply-to.abc")
        let decoded = try TaskResultMessage(properties: wire.properties, body: wire.body)
        #expect(try decoded.output(for: SendReceipt.self) == .init(messageID: "<m@x>"))
        #expect(wire.properties.deliveryMode == .transient)
        #expect(wire.properties.correlationID == "t1")
    }

    @Test func outputsThatDoNotDecodeSaySo() throws {
        let result = TaskResultMessage(taskID: "t", state: .success, result: ["messageID": 7])
        let error = try #require(throws: TaskDecodingError.self) { try result.output(for: SendReceipt.self) }
        #expect(error.code == .invalidResult)
        #expect(error.message.contains("messageID"))
        let pending = TaskResultMessage(taskID: "t", state: .progress, result: [:])
        #expect(throws: TaskDecodingError.self) { try pending.output(for: SendReceipt.self) }
    }

    @Test func failureMessagesOfOtherShapes() {
        #expect(TaskFailure(json: ["exc_type": "E", "exc_message": "plain"])?.message == "plain")
        #expect(TaskFailure(json: ["exc_type": "E", "exc_message": ["a", 2]])?.message == "a, 2")
        #expect(TaskFailure(json: ["exc_type": "E"])?.module == nil)
        #expect(TaskFailure(json: ["done": 1]) == nil)
    }

    @Test func malformedResultsAreRefused() {
        func refusal(_ body: String, contentType: String = "application/json") -> TaskDecodingError? {
            do {
                _ = try TaskResultMessage(properties: AMQPProperties(contentType: contentType), body: Array(body.utf8))
                return nil
            } catch { return error }
        }
        #expect(refusal("[]")?.code == .invalidBody)
        #expect(refusal(#"{"task_id": "t"}"#)?.code == .invalidBody)
        #expect(refusal(#"{"status": "SUCCESS"}"#)?.code == .invalidBody)
        #expect(refusal(#"{"task_id": "t", "status": "SUCCESS", "date_done": "soon"}"#)?.code == .invalidBody)
        #expect(refusal(#"{"task_id": "t", "status": "SUCCESS", "children": 3}"#)?.code == .invalidBody)
        #expect(refusal("{", contentType: "application/json")?.code == .invalidJSON)
        #expect(refusal("{}", contentType: "application/x-python-serialize")?.code == .unsupportedContentType)
        #expect(refusal(#"{"task_id": "t", "status": "SUCCESS"}"#) == nil)
    }
}
