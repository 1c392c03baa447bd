import BeaconEvents
import IntegrationSupport
import Testing

@testable import BeaconWorker

@Suite struct LogFormatTests {
    /// 2026-11-21T10:35:30.125Z: a fraction that is exact in binary, so Python's float `msecs` agrees.
    static let time = Event.Timestamp(millisecondsSince1970: 1_795_257_330_125)

    static let event = Event(
        id: "e-1",
        time: time,
        service: "web",
        host: "h1",
        pid: 4242,
        kind: .error,
        level: .error,
        logger: "web.errors",
        message: "Exception on /boom [GET]",
        source: .init(file: "/srv/app/Sources/App/Routes.swift", line: 91, function: "boom(request:)"),
        request: .init(id: "req-7", method: "GET", path: "/boom", status: 500, durationMilliseconds: 8.5),
        error: .init(type: "BoomError", message: "deliberate", fingerprint: "00112233aabbccdd"),
        metadata: ["tenant": "acme"]
    )

    /// Python's `logging.Formatter`, UTC clock, on a record holding the same values as `event`.
    static func python(_ pattern: String, dateFormat: String? = nil) throws -> String {
        let script = """
            import logging, sys, time
            fmt, datefmt = sys.argv[1], (sys.argv[2] or None)
            record = logging.makeLogRecord(dict(
                name="web.errors", msg="Exception on /boom [GET]", levelname="ERROR", levelno=40,
                pathname="/srv/app/Sources/App/Routes.swift", filename="Routes.swift", module="Routes",
                funcName="boom(request:)", lineno=91, created=1795257330.125, msecs=125.0, process=4242,
                processName="web", request_id="req-7", tenant="acme"))
            formatter = logging.Formatter(fmt, datefmt)
            formatter.converter = time.gmtime
            sys.stdout.write(formatter.format(record))
            """
        return try Python.run(script, arguments: [pattern, dateFormat ?? ""])
    }

    @Test(arguments: [
        LogFormat.flaskDefault,
        LogFormat.beaconDefault,
        "%(levelname)-8s|%(name)s|%(module)s|%(filename)s|%(funcName)s|%(process)d|%(processName)s",
        "%(msecs)03d|%(msecs)d|%(created)f|%(created).2f|%(levelno)s|%(levelno)03d|%%|%(lineno)5d|%(lineno)-5d|",
        "%(message).9s|%(message)30s|%(name)r|%(tenant)s|%(lineno)+d",
    ])
    func formatsExactlyAsPythonLogging(pattern: String) throws {
        var format = try LogFormat(pattern, timeZone: .utc)
        #expect(format.format(Self.event) == (try Self.python(pattern)))
    }

    @Test func usesDateFormatAsPythonDatefmtDoes() throws {
        let pattern = "%(asctime)s %(message)s"
        var format = try LogFormat(pattern, dateFormat: "%d/%m/%Y %H:%M:%S", timeZone: .utc)
        #expect(format.format(Self.event) == (try Self.python(pattern, dateFormat: "%d/%m/%Y %H:%M:%S")))
        #expect(format.format(Self.event).hasPrefix("21/11/2026 10:35:30 "))
    }

    @Test func writesBeaconFieldsAndDashesForWhatIsMissing() throws {
        var format = try LogFormat(
            "%(request_id)s %(method)s %(path)s %(status)d %(duration_ms).1f %(error_type)s %(fingerprint)s "
                + "%(routing_key)s %(event_id)s %(remote)s %(nope)s"
        )
        #expect(format.format(Self.event) == "req-7 GET /boom 500 8.5 BoomError 00112233aabbccdd web.error.error e-1 - -")
        var bare = Self.event
        bare.source = nil
        bare.request = nil
        var flask = try LogFormat(LogFormat.beaconDefault, timeZone: .utc)
        #expect(flask.format(bare) == "2026-11-21 10:35:30,125 ERROR [-] Exception on /boom [GET] [in -:-]")
    }

    @Test func oneEventIsAlwaysOneLine() throws {
        var event = Self.event
        event.message = "first\nERROR forged line\r\u{1b}[31m\u{7f}\u{85}\u{2028}\u{2029}\ttab \\n stays"
        event.request?.id = "id\nwith newline"
        var format = try LogFormat("%(request_id)s %(message)s")
        let line = format.format(event)
        #expect(!line.contains("\n") && !line.contains("\r"))
        #expect(line == #"id\nwith newline first\nERROR forged line\r\x1b[31m\x7f\x85\u2028\u2029\ttab \n stays"#)
    }

    @Test(arguments: [
        ("%(message", "'%(' without its ')'"),
        ("100%", "a lone '%' at the end"),
        ("%s", "'%' must be followed by (name)"),
        ("%(message)q", "unsupported conversion 'q'"),
        ("%()s", "an empty name"),
        ("%(message)", "needs a conversion"),
    ])
    func rejectsMalformedFormatsNamingThePlace(pattern: String, reason: String) {
        #expect {
            try LogFormat(pattern)
        } throws: { error in
            String(describing: error).contains(reason) && String(describing: error).contains(pattern)
        }
    }

    @Test func localTimeIsTheDefaultAsInPython() throws {
        var local = try LogFormat("%(asctime)s")
        var utc = try LogFormat("%(asctime)s", timeZone: .utc)
        let script = """
            import logging, sys
            r = logging.makeLogRecord(dict(created=1795257330.125, msecs=125.0))
            sys.stdout.write(logging.Formatter("%(asctime)s").format(r))
            """
        #expect(local.format(Self.event) == (try Python.run(script)))
        #expect(utc.format(Self.event) == "2026-11-21 10:35:30,125")
    }
}

@Suite struct LogTextTests {
    @Test func leavesOrdinaryTextAlone() {
        let text = "Grüße, 世界 — 100% fine \\ backslash"
        #expect(!LogText.needsEscaping(text))
        #expect(LogText.escaped(text) == text)
    }

    @Test(arguments: ["\n", "\r", "\u{0}", "\u{1b}", "\u{7f}", "\u{85}", "\u{9f}", "\u{2028}", "\u{2029}"])
    func escapesEveryLineBreakingOrControlCharacter(character: String) {
        #expect(LogText.needsEscaping("a\(character)b"))
        let escaped = LogText.escaped("a\(character)b")
        #expect(escaped.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7f && !(0x80...0x9f).contains($0.value) })
        #expect(escaped.hasPrefix("a\\") && escaped.hasSuffix("b"))
    }
}
