import BeaconEvents
import Foundation
import IntegrationSupport
import Testing

@testable import BeaconWorker

@Suite struct MailMessageTests {
    /// Parses a rendered message with Python's `email` package (policy `default`) and returns its headers (name,
    /// decoded value) and its decoded body, as JSON.
    func parsed(_ message: MailMessage) throws -> (headers: [[String]], body: String) {
        let file = try TestServices.temporaryDirectory().appendingPathComponent("message.eml")
        try Data(message.rendered(host: "worker-host")).write(to: file)
        let output = try python(
            """
            import email, email.policy, json, sys
            message = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
            print(json.dumps({"headers": [[k, str(v)] for k, v in message.items()], "body": message.get_content().replace("\\r\\n", "\\n"),
                              "defects": [str(d) for d in message.defects]}))
            """,
            file.path
        )
        let json = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        #expect((json["defects"] as? [Any])?.isEmpty == true, "the message has defects: \(json["defects"] ?? "")")
        return (try #require(json["headers"] as? [[String]]), try #require(json["body"] as? String))
    }

    func message(subject: String, body: String = "body\n") -> MailMessage {
        MailMessage(
            from: "beacon@localhost",
            to: ["ops@localhost", "oncall@localhost"],
            subject: subject,
            body: body,
            messageID: "0193f2c1-7a4e-7c3b-9f1d-2b6e8c0d4a51",
            extraHeaders: [("Event-Id", "0193f2c1-7a4e\r\nBcc: evil@example.com")],
            date: 1_763_720_130
        )
    }

    @Test func hasTheStandardHeadersInOrder() throws {
        let (headers, body) = try parsed(message(subject: "[web] ERROR: boom", body: "line 1\nline 2\n"))
        #expect(
            headers.map { $0[0] } == [
                "Date", "Message-ID", "From", "To", "Subject", "MIME-Version", "Content-Type", "Content-Transfer-Encoding", "X-Beacon-Event-Id",
            ]
        )
        #expect(headers[0][1] == "Fri, 21 Nov 2025 10:15:30 +0000")
        #expect(headers[1][1] == "<0193f2c1-7a4e-7c3b-9f1d-2b6e8c0d4a51@worker-host>")
        #expect(headers[3][1] == "ops@localhost, oncall@localhost")
        #expect(headers[4][1] == "[web] ERROR: boom")
        #expect(body == "line 1\nline 2\n")
    }

    @Test(arguments: [
        "boom\r\nBcc: evil@example.com",
        "boom\nBcc: evil@example.com",
        "boom\rBcc: evil@example.com",
        "boom\u{85}Bcc: evil@example.com",
        "boom\u{2028}Bcc: evil@example.com",
        "\r\n\r\nforged body",
    ])
    func aLineBreakInTheSubjectCannotAddAHeaderOrEndTheHeaders(subject: String) throws {
        let (headers, body) = try parsed(message(subject: subject))
        #expect(!headers.contains { $0[0].lowercased() == "bcc" })
        #expect(headers.filter { $0[0] == "Subject" }.count == 1)
        #expect(!headers.contains { $0[1].contains("\n") || $0[1].contains("\r") })
        #expect(body == "body\n")
        #expect(headers.first { $0[0] == "X-Beacon-Event-Id" }?[1] == "0193f2c1-7a4eBccevilexample.com")
    }

    @Test func aUTF8SubjectIsEncodedAndReadsBackTheSame() throws {
        let subject = "[web] ERROR: Ünïcödé 日本語のエラー 😀 " + String(repeating: "long ", count: 20)
        let (headers, _) = try parsed(message(subject: subject))
        #expect(headers.first { $0[0] == "Subject" }?[1] == subject.trimmingCharacters(in: .whitespaces))
        let raw = String(decoding: message(subject: subject).rendered(host: "h"), as: UTF8.self)
        let lines = raw.components(separatedBy: "\r\n\r\n")[0].components(separatedBy: "\r\n")
        #expect(lines.allSatisfy { $0.utf8.count <= 78 }, "header lines are folded")
        #expect(lines.contains { $0.hasPrefix("Subject: =?UTF-8?B?") })
    }

    @Test func theBodyIsQuotedPrintableAndReadsBackTheSame() throws {
        let body = "Message:\n\n" + String(repeating: "a very long line with = signs and ünïcödé ", count: 10) + "\n.\nend with space \n"
        let (_, decoded) = try parsed(message(subject: "s", body: body))
        #expect(decoded == body)
        let raw = message(subject: "s", body: body).rendered(host: "h")
        let text = String(decoding: raw, as: UTF8.self)
        #expect(text.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 76 })
        #expect(raw.allSatisfy { $0 < 0x80 }, "the whole message is 7-bit")
    }
}

@Suite struct MailTemplateTests {
    @Test func theDefaultBodyIsTheFlaskErrorMailWithTheRequestID() throws {
        var templates = try MailTemplates(configuration: try Fixtures.mailSink(smtpURL: "smtp://127.0.0.1:1"), timeZone: .utc)
        let event = Fixtures.event(
            "Exception on /boom [GET]\nTraceback line",
            level: .error,
            requestID: "req-77",
            error: Event.ErrorDetails(type: "BoomError", message: "deliberate <failure> & more", fingerprint: "fp1"),
            time: Event.Timestamp(millisecondsSince1970: 1_763_720_130_123)
        )
        let body = templates.body(for: event)
        #expect(
            body.hasPrefix(
                """
                Message type:       ERROR
                Location:           Sources/App/Routes.swift:42
                Module:             App
                Function:           hello(_:)
                Time:               2025-11-21 10:15:30,123
                Request id:         req-77

                Message:

                Exception on /boom [GET]
                Traceback line

                Error:              BoomError: deliberate <failure> & more
                Fingerprint:        fp1
                Request:            GET /hello -> 500 in 0.41 ms
                """
            ),
            "\(body)"
        )
        #expect(templates.subject(for: event) == "[web] ERROR: Exception on /boom [GET]\nTraceback line")
    }

    @Test func aPlaceTheEventDoesNotKnowIsLeftOutNotPrintedAsDashes() throws {
        var templates = try MailTemplates(configuration: try Fixtures.mailSink(smtpURL: "smtp://127.0.0.1:1"), timeZone: .utc)
        var event = Fixtures.event("a failure from a script", level: .error)
        event.source = nil
        let body = templates.body(for: event)
        #expect(body.hasPrefix("Message type:       ERROR\nTime:"), "\(body)")
        #expect(!body.contains("Location:") && !body.contains("Module:") && !body.contains("Function:"), "\(body)")
        #expect(!body.contains("-:-"))

        event.source = Event.Source(file: "Sources/Jobs/Report.swift", line: 7)
        let located = templates.body(for: event)
        #expect(located.contains("Location:           Sources/Jobs/Report.swift:7\nModule:             Report\nTime:"), "\(located)")
    }
}

@Suite struct StormControlTests {
    let configuration = StormControlConfiguration(window: .seconds(60), maxMailsPerMinute: 3)

    func error(_ fingerprint: String) -> Event {
        Fixtures.event("boom", level: .error, error: Event.ErrorDetails(type: "E", message: "m", fingerprint: fingerprint))
    }

    @Test func identicalErrorsInAWindowGiveOneMailThenOneDigest() {
        var storm = StormControl(configuration)
        let start: Int64 = 1_000_000
        #expect(storm.decide(fingerprint: "a", now: start) == .mail)
        storm.mailed("a", at: start)
        for second in 1...4 {
            let now = start + Int64(second) * 1000
            #expect(storm.decide(fingerprint: "a", now: now) == .hold)
            storm.held(error("a"), fingerprint: "a", at: now)
        }
        #expect(storm.dueDigest(now: start + 59_000).isEmpty)
        let due = storm.dueDigest(now: start + 60_000)
        #expect(due.map(\.fingerprint) == ["a"])
        #expect(due.first?.held == 4)
        #expect(due.first?.mailedAt == start)
        storm.digestSent(["a"], at: start + 60_000)
        #expect(storm.decide(fingerprint: "a", now: start + 61_000) == .mail, "a new window begins with a mail")
    }

    @Test func differentErrorsEachGetAMailUpToTheCap() {
        var storm = StormControl(configuration)
        for (index, fingerprint) in ["a", "b", "c"].enumerated() {
            #expect(storm.decide(fingerprint: fingerprint, now: Int64(index)) == .mail)
            storm.mailed(fingerprint, at: Int64(index))
        }
        #expect(storm.decide(fingerprint: "d", now: 10) == .hold, "the fourth mail in a minute is held back")
        storm.held(error("d"), fingerprint: "d", at: 10)
        #expect(storm.dueDigest(now: 30_000).isEmpty, "no digest before the cap frees")
        let due = storm.dueDigest(now: 60_010)
        #expect(due.map(\.fingerprint) == ["d"])
        #expect(due.first?.mailedAt == nil)
        #expect(due.first?.firstHeld?.error?.fingerprint == "d")
    }

    @Test func aWindowWithNothingHeldIsForgotten() {
        var storm = StormControl(configuration)
        storm.mailed("a", at: 0)
        storm.expire(now: 60_000)
        #expect(storm.groups.isEmpty)
    }

    @Test func errorsWithoutDetailsAreGroupedByLoggerAndPath() {
        let first = Fixtures.event("GET /boom 500 in 1.2ms", level: .error)
        let second = Fixtures.event("GET /boom 500 in 3.4ms", level: .error)
        #expect(StormControl.fingerprint(of: first) == StormControl.fingerprint(of: second))
        #expect(StormControl.fingerprint(of: first) != StormControl.fingerprint(of: error("x")))
    }
}
