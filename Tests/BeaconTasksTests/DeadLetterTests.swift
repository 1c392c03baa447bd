import BeaconAMQP
import BeaconEvents
import Testing

@testable import BeaconTasks

/// Every way a message is refused, with the dead-letter reason a worker writes.
@Suite struct DeadLetterTests {
    static let plain = Celery.task("send_task_plain")

    static func refusal(
        contentType: String? = "application/json",
        contentEncoding: String? = "utf-8",
        headers: (inout AMQPTable) -> Void = { _ in },
        body: String? = nil
    ) -> TaskDecodingError? {
        var properties = plain.properties
        properties.contentType = contentType
        properties.contentEncoding = contentEncoding
        headers(&properties.headers)
        do {
            _ = try TaskMessage(properties: properties, body: body.map { Array($0.utf8) } ?? plain.body)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: ["application/x-python-serialize", "application/x-yaml", "application/x-msgpack", "text/plain"])
    func nonJSONContentTypesAreNeverDeserialised(contentType: String) {
        // A pickle body that would run code if unpickled: it must not even be looked at.
        let error = Self.refusal(contentType: contentType, body: "cos\nsystem\n(S'echo pwned'\ntR.")
        #expect(error?.code == .unsupportedContentType)
        #expect(error?.message.contains(contentType) == true)
    }

    @Test func pickleIsNamedAsSuch() {
        #expect(Self.refusal(contentType: "application/x-python-serialize")?.message.contains("pickle") == true)
    }

    @Test func missingContentTypeIsRefused() {
        #expect(Self.refusal(contentType: nil)?.code == .unsupportedContentType)
    }

    @Test func jsonWithParametersIsAccepted() {
        #expect(Self.refusal(contentType: "Application/JSON; charset=utf-8") == nil)
    }

    @Test func otherEncodingsAndCompressionAreRefused() {
        #expect(Self.refusal(contentEncoding: "binary")?.code == .unsupportedContentEncoding)
        #expect(Self.refusal(headers: { $0["compression"] = "application/x-gzip" })?.code == .unsupportedContentEncoding)
        #expect(Self.refusal(contentEncoding: nil) == nil)
    }

    @Test(arguments: ["[[2, 3], {}, {", "", "\u{FEFF}[]", "[[1], {}, {}] trailing"])
    func bodiesThatAreNotJSONAreRefused(body: String) {
        #expect(Self.refusal(body: body)?.code == .invalidJSON)
    }

    @Test func invalidUTF8IsRefused() throws {
        var properties = Self.plain.properties
        properties.contentType = "application/json"
        #expect(throws: TaskDecodingError.self) { try TaskMessage(properties: properties, body: [0x5B, 0x22, 0xFF, 0x22, 0x5D]) }
    }

    @Test(arguments: [
        "[[2, 3], {}]", "[[2, 3], {}, {}, 4]", "[{}, {}, {}]", "[[2, 3], [], {}]", "[[2, 3], {}, []]", "\"task\"", "42",
    ])
    func bodiesOfTheWrongShapeAreRefused(body: String) {
        #expect(Self.refusal(body: body)?.code == .invalidBody)
    }

    @Test func embedNullIsNoCanvas() throws {
        #expect(Self.refusal(body: "[[2, 3], {}, null]") == nil)
    }

    @Test func protocolV1IsRefusedAsSuch() {
        let v1 = #"{"task": "proj.add", "id": "1", "args": [2, 3], "kwargs": {}, "retries": 0, "eta": null}"#
        let error = Self.refusal(headers: { $0 = [:] }, body: v1)
        #expect(error?.code == .protocolV1)
    }

    @Test(arguments: ["task", "id"])
    func missingRequiredHeadersAreRefused(header: String) {
        #expect(Self.refusal(headers: { $0[header] = nil })?.code == .missingHeader)
        #expect(Self.refusal(headers: { $0[header] = .void })?.code == .missingHeader)
        #expect(Self.refusal(headers: { $0[header] = "" })?.code == .missingHeader)
    }

    @Test(arguments: [
        ("retries", AMQPFieldValue.string("one")),
        ("retries", .int32(-1)),
        ("eta", .string("tomorrow")),
        ("expires", .int64(1_796_182_536)),
        ("timelimit", .array([.int32(60)])),
        ("timelimit", .array([.string("60"), .void])),
        ("timelimit", .array([.int32(0), .void])),
        ("ignore_result", .string("yes")),
        ("group_index", .string("0")),
        ("parent_id", .int32(7)),
    ])
    func headersOfTheWrongTypeAreRefused(header: String, value: AMQPFieldValue) {
        let error = Self.refusal(headers: { $0[header] = value })
        #expect(error?.code == .invalidHeader)
        #expect(error?.message.contains("\"\(header)\"") == true)
    }

    @Test func lenientWhereCeleryIs() throws {
        var properties = Self.plain.properties
        properties.headers = ["task": "proj.add", "id": "abc", "timelimit": [.double(1.5), .int64(1)]]
        let message = try TaskMessage(properties: properties, body: Self.plain.body)
        #expect(message.rootID == "abc")
        #expect(message.retries == 0)
        #expect(message.timeLimits == TaskTimeLimits(soft: .seconds(1), hard: .milliseconds(1500)))
    }

    @Test func codesAreTheDeadLetterReasons() {
        let codes: [TaskDecodingError.Code] = [
            .unsupportedContentType, .unsupportedContentEncoding, .invalidJSON, .invalidBody, .protocolV1, .missingHeader,
            .invalidHeader, .invalidArguments, .wrongTask, .invalidResult,
        ]
        #expect(
            codes.map(\.name) == [
                "unsupported_content_type", "unsupported_content_encoding", "invalid_json", "invalid_body", "protocol_v1",
                "missing_header", "invalid_header", "invalid_arguments", "wrong_task", "invalid_result",
            ]
        )
        #expect(TaskDecodingError(.invalidBody, "x").description == "invalid_body: x")
    }
}
