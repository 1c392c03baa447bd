import IntegrationSupport
import Testing

@testable import BeaconEvents

@Suite struct EventJSONTests {
    static let time = Event.Timestamp(millisecondsSince1970: 1_795_257_330_123)  // 2026-11-21T10:35:30.123Z

    static let requestEvent = Event(
        id: "0193f2c1-7a4e-7c3b-9f1d-2b6e8c0d4a51",
        time: time,
        service: "web",
        host: "h1",
        pid: 4242,
        kind: .request,
        level: .info,
        logger: "web.request",
        message: "GET /hello 200 0.41ms",
        request: .init(
            id: "r-1",
            method: "GET",
            path: "/hello",
            status: 200,
            durationMilliseconds: 0.41,
            remote: "127.0.0.1",
            userAgent: "curl/8"
        )
    )

    @Test func encodesInSchemaOrderAndOmitsAbsentParts() {
        let json = String(decoding: Self.requestEvent.jsonBytes(), as: UTF8.self)
        #expect(
            json
                == #"{"schema":1,"id":"0193f2c1-7a4e-7c3b-9f1d-2b6e8c0d4a51","time":"2026-11-21T10:35:30.123Z","service":"web","host":"h1","pid":4242,"kind":"request","level":"info","logger":"web.request","message":"GET /hello 200 0.41ms","request":{"id":"r-1","method":"GET","path":"/hello","status":200,"duration_ms":0.41,"remote":"127.0.0.1","user_agent":"curl/8"}}"#
        )
        #expect(!json.contains("null"))
        #expect(!json.contains("\"error\""))
    }

    @Test func roundTripsEveryPart() throws {
        var event = Self.requestEvent
        event.source = .init(file: "Sources/App/Boom.swift", line: 42, function: "boom()", module: "App")
        event.error = .init(type: "BoomError", message: "it \"broke\"\n\tbadly", source: event.source)
        event.metadata = ["user": "ada", "tenant": "ü-42"]
        event.kind = .error
        event.level = .critical
        let decoded = try Event(json: event.jsonBytes())
        #expect(decoded == event)
    }

    @Test func escapesControlCharactersQuotesAndBackslashes() throws {
        var event = Self.requestEvent
        event.message = "a\"b\\c\nd\u{0}e\u{1f}f\u{2028}g"
        let json = String(decoding: event.jsonBytes(), as: UTF8.self)
        #expect(json.contains(#""message":"a\"b\\c\nd\u0000e\u001ff"#))
        #expect(try Event(json: event.jsonBytes()).message == event.message)

        event.message = "\n\"\t\r"  // escapes only, back to back, at both ends
        event.metadata = ["k\u{7}": "é\\"]
        let edges = String(decoding: event.jsonBytes(), as: UTF8.self)
        #expect(edges.contains(#""message":"\n\"\t\r""#))
        #expect(edges.contains(#""k\u0007":"é\\""#))
        let decoded = try Event(json: event.jsonBytes())
        #expect(decoded.message == event.message)
        #expect(decoded.metadata == event.metadata)
    }

    @Test func readsWhatOtherProducersWrite() throws {
        // Python's json.dumps: spaces, nulls for absent parts, isoformat() times, WARNING in capitals,
        // numbers and nested values in metadata, no fingerprint.
        let python = """
            {"schema": 1, "id": "e1", "time": "2026-11-21T04:47:32.997306+00:00", "service": "billing",
             "host": null, "kind": "error", "level": "WARNING", "message": "card declined",
             "source": {"file": "billing/cards.py", "line": 91, "function": "charge"},
             "error": {"type": "CardError", "message": "declined"},
             "metadata": {"amount": 12.5, "retry": true, "tags": ["a", "b"], "gone": null},
             "extra_member_from_the_future": {"x": 1}}
            """
        let event = try Event(json: Array(python.utf8))
        #expect(event.service == "billing")
        #expect(event.host == nil)
        #expect(event.level == .warning)
        #expect(event.time.millisecondsSince1970 == 1_795_236_452_997)
        #expect(event.error?.fingerprint == Event.ErrorDetails.fingerprint(type: "CardError", source: event.source))
        #expect(event.metadata == ["amount": "12.5", "retry": "true", "tags": #"["a","b"]"#])
    }

    @Test(arguments: [
        ("{\"schema\":1", EventDecodingError.Code.invalidJSON),
        ("[1,2]", .invalidJSON),
        ("{} trailing", .invalidJSON),
        ("{\"schema\":2,\"id\":\"x\"}", .unsupportedSchema),
        ("{\"id\":\"x\"}", .unsupportedSchema),
        ("{\"schema\":\"1\"}", .unsupportedSchema),
        ("{\"schema\":1,\"id\":\"x\",\"time\":\"2026-11-21T10:15:30Z\",\"service\":\"web\",\"kind\":\"log\",\"level\":\"info\"}", .missingField),
        (
            "{\"schema\":1,\"id\":\"x\",\"time\":\"yesterday\",\"service\":\"web\",\"kind\":\"log\",\"level\":\"info\",\"message\":\"m\"}",
            .invalidField
        ),
        (
            "{\"schema\":1,\"id\":\"x\",\"time\":\"2026-11-21T10:15:30Z\",\"service\":\"w.b\",\"kind\":\"log\",\"level\":\"info\",\"message\":\"m\"}",
            .invalidField
        ),
        (
            "{\"schema\":1,\"id\":\"x\",\"time\":\"2026-11-21T10:15:30Z\",\"service\":\"web\",\"kind\":\"audit\",\"level\":\"info\",\"message\":\"m\"}",
            .invalidField
        ),
        (
            "{\"schema\":1,\"id\":\"x\",\"time\":\"2026-11-21T10:15:30Z\",\"service\":\"web\",\"kind\":\"log\",\"level\":\"loud\",\"message\":\"m\"}",
            .invalidField
        ),
        (
            "{\"schema\":1,\"id\":\"x\",\"time\":\"2026-11-21T10:15:30Z\",\"service\":\"web\",\"kind\":\"log\",\"level\":\"info\",\"message\":7}",
            .invalidField
        ),
        (
            "{\"schema\":1,\"id\":\"x\",\"time\":\"2026-11-21T10:15:30Z\",\"service\":\"web\",\"kind\":\"log\",\"level\":\"info\",\"message\":\"m\",\"pid\":1.5}",
            .invalidField
        ),
    ])
    func rejectsWhatIsNotAnEventWithAClearCode(json: String, code: EventDecodingError.Code) {
        #expect {
            try Event(json: Array(json.utf8))
        } throws: { error in
            (error as? EventDecodingError)?.code == code
        }
    }

    @Test func namesTheMissingField() {
        let json =
            #"{"schema":1,"id":"x","time":"2026-11-21T10:15:30Z","service":"web","kind":"request","level":"info","message":"m","request":{"method":"GET"}}"#
        #expect(throws: EventDecodingError(.missingField, "required field \"request.path\" is missing")) {
            try Event(json: Array(json.utf8))
        }
    }

    @Test func rejectsInvalidUTF8AsSuch() {
        var bytes = Array(#"{"schema":1,"message":"caf"#.utf8)
        bytes += [0xc3, 0x28]  // a broken two-byte sequence
        bytes += Array(#""}"#.utf8)
        #expect {
            try Event(json: bytes)
        } throws: { error in
            (error as? EventDecodingError)?.code == .invalidUTF8
        }
    }

    @Test func rejectsDeepNesting() {
        let json = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: EventDecodingError.self) { try Event(json: Array(json.utf8)) }
    }

    @Test func pythonReadsWhatBeaconWrites() throws {
        var event = Self.requestEvent
        event.message = "tab\there \"quoted\" é \u{1}"
        event.metadata = ["k": "v"]
        let script = """
            import json, sys
            e = json.loads(sys.stdin.buffer.read().decode("utf-8"))
            print(e["message"] == "tab\\there \\"quoted\\" é \\u0001", e["request"]["duration_ms"], e["metadata"]["k"])
            """
        let output = try Python.run(script, input: event.jsonBytes())
        #expect(output == "True 0.41 v\n")
    }

    @Test func beaconReadsWhatPythonWrites() throws {
        // json.dumps as a Python producer calls it: ASCII only (every non-ASCII character a \u escape, surrogate pairs
        // beyond the BMP), ", " and ": " separators, None as null, an aware datetime's isoformat().
        let script = #"""
            import json, datetime
            print(json.dumps({"schema": 1, "id": "p-1", "service": "billing", "kind": "log", "level": "ERROR",
                "time": datetime.datetime(2026, 11, 21, 10, 35, 30, 123456, tzinfo=datetime.timezone.utc).isoformat(),
                "message": "caf\u00e9 \U0001F600 \"q\" \\ tab\there", "host": None,
                "request": {"id": "r-9", "method": "GET", "path": "/caf\u00e9", "status": 500, "duration_ms": 1}}))
            """#
        let output = try Python.run(script)
        #expect(output.contains(#"\u00e9 \ud83d\ude00"#), "the escapes under test: \(output)")
        let event = try Event(json: Array(output.utf8.dropLast()))
        #expect(event.message == "café 😀 \"q\" \\ tab\there")
        #expect(event.level == .error)
        #expect(event.request?.path == "/café")
        #expect(event.request?.durationMilliseconds == 1)
        #expect(event.time.millisecondsSince1970 == 1_795_257_330_123)
    }

    @Test(arguments: [#"\ud83d"#, #"\ude00"#, #"\ud83dx"#, #"\ud83d\u0041"#])
    func rejectsALoneSurrogate(escape: String) {
        let json =
            #"{"schema":1,"id":"e","time":"2026-11-21T10:35:30Z","service":"s","kind":"log","level":"info","message":"a"#
            + escape + #""}"#
        #expect(throws: EventDecodingError.self) { try Event(json: Array(json.utf8)) }
    }

    @Test func makesTimeOrderedVersion7IDs() {
        let early = Event.makeID(at: .init(millisecondsSince1970: 1_000))
        let late = Event.makeID(at: .init(millisecondsSince1970: 2_000))
        #expect(early < late)
        #expect(early.count == 36)
        let characters = Array(early)
        #expect(characters[14] == "7")
        #expect("89ab".contains(characters[19]))
        #expect(Set((0..<1000).map { _ in Event.makeID() }).count == 1000)
        #expect(early.allSatisfy { $0 == "-" || $0.isHexDigit && !$0.isUppercase })
    }

    @Test func idsMadeInTheSameMillisecondOnManyThreadsAreAllDifferent() async {
        let time = Event.Timestamp(millisecondsSince1970: 1_763_721_330_123)
        let ids = await withTaskGroup(of: [String].self) { group in
            for _ in 0..<4 {
                group.addTask { (0..<25_000).map { _ in Event.makeID(at: time) } }
            }
            return await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(ids.count == 100_000)
        #expect(Set(ids).count == 100_000)
        #expect(Set(ids.map { $0.prefix(14) }).count == 1)  // the time and the version
    }

    @Test func routingKeyIsServiceKindLevel() {
        var event = Self.requestEvent
        #expect(event.routingKey == "web.request.info")
        event.kind = .error
        event.level = .error
        #expect(event.routingKey == "web.error.error")
    }

    @Test func fingerprintIgnoresLineAndMessageButNotPlace() {
        let here = Event.Source(file: "a.swift", line: 1, function: "f()", module: "M")
        var moved = here
        moved.line = 99
        var elsewhere = here
        elsewhere.function = "g()"
        let fingerprint = Event.ErrorDetails.fingerprint(type: "E", source: here)
        #expect(fingerprint.count == 16)
        #expect(fingerprint == Event.ErrorDetails.fingerprint(type: "E", source: moved))
        #expect(fingerprint != Event.ErrorDetails.fingerprint(type: "E", source: elsewhere))
        #expect(fingerprint != Event.ErrorDetails.fingerprint(type: "F", source: here))
    }
}
