import BeaconAMQP
import BeaconEvents
import Foundation
import IntegrationSupport
import Testing

@testable import BeaconWorker

/// Error mail against the real broker and real SMTP servers (aiosmtpd, mail kept in a Maildir).
@Suite(.serialized) struct MailPipelineTests {
    /// aiosmtpd's Mailbox creates `tmp`, `new` and `cur` only when the Maildir folder does not exist yet, and the
    /// test scripts create the folder first: make sure the three are there.
    func prepared(_ maildir: Maildir) throws -> Maildir {
        for folder in ["tmp", "new", "cur"] {
            try FileManager.default.createDirectory(at: maildir.url.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        return maildir
    }

    /// A mail's headers (decoded) and body, read by Python's `email` package.
    func parse(_ raw: String) throws -> (headers: [String: [String]], body: String) {
        let file = try TestServices.temporaryDirectory().appendingPathComponent("mail.eml")
        try raw.write(to: file, atomically: true, encoding: .utf8)
        let output = try python(
            """
            import email, email.policy, json, sys
            message = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
            headers = {}
            for key, value in message.items(): headers.setdefault(key, []).append(str(value))
            print(json.dumps({"headers": headers, "body": message.get_content().replace("\\r\\n", "\\n")}))
            """,
            file.path
        )
        let json = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        return (try #require(json["headers"] as? [String: [String]]), try #require(json["body"] as? String))
    }

    @Test func mailsAnErrorFromTheTemplateWithSafeHeaders() async throws {
        let maildir = try prepared(try TestServices.maildir())
        let world = try TestWorld(smtpURL: try TestServices.smtpURL())
        try await TestBroker.with { broker in
            let worker = try await world.startWorker(broker: broker)
            let event = Fixtures.event(
                "Exception on /boom [GET]\r\nBcc: evil@example.com\r\n\r\nforged body",
                level: .error,
                requestID: "req-\(world.prefix)",
                error: Event.ErrorDetails(type: "BoomError", message: "Ünïcödé failure", fingerprint: "fp-\(world.prefix)")
            )
            try await broker.publish([event, Fixtures.event("an info event, not mailed")], to: world)
            #expect(await eventually(timeout: .seconds(20)) { (try? maildir.messages(containing: event.id).count) == 1 })
            try await worker.stop()

            let raw = try #require(try maildir.messages(containing: event.id).first)
            let (headers, body) = try parse(raw)
            #expect(headers["Subject"] == ["[web] ERROR: Exception on /boom [GET] Bcc: evil@example.com forged body"])
            #expect(headers["Bcc"] == nil, "a CR or LF in the event added no header")
            #expect(headers["From"] == ["beacon@localhost"])
            #expect(headers["To"] == ["ops@localhost, oncall@localhost"])
            #expect(headers["Message-ID"]?.first?.hasPrefix("<\(event.id)@") == true)
            #expect(headers["Date"]?.first?.hasSuffix("+0000") == true)
            #expect(headers["X-RcptTo"] == ["ops@localhost, oncall@localhost"], "the server was given both recipients")
            #expect(body.contains("Message type:       ERROR\nLocation:           Sources/App/Routes.swift:42\nModule:             App\n"))
            #expect(body.contains("Function:           hello(_:)\n"))
            #expect(body.contains("Request id:         req-\(world.prefix)\n"))
            #expect(body.contains("Error:              BoomError: Ünïcödé failure\n"))
            #expect(
                body.contains("Message:\n\nException on /boom [GET]\nBcc: evil@example.com\n\nforged body\n"),
                "the message is kept whole in the body"
            )
            #expect(try TestServices.messageCount(queue: world.mailQueue) == 0)
        }
    }

    /// `/boom` gives an error event and a request summary with status 500, both at level error: one mail, the error's.
    @Test func aFailedRequestMailsOnceTheErrorNotTheSummary() async throws {
        let maildir = try prepared(try TestServices.maildir())
        let world = try TestWorld(smtpURL: try TestServices.smtpURL())
        try await TestBroker.with { broker in
            let worker = try await world.startWorker(broker: broker)
            let requestID = "req-\(world.prefix)"
            let summary = Fixtures.event("GET /boom 500 1.2ms", level: .error, kind: .request, requestID: requestID)
            let error = Fixtures.event(
                "Exception on /boom [GET]",
                level: .error,
                kind: .error,
                requestID: requestID,
                error: Event.ErrorDetails(type: "BoomError", message: "boom", fingerprint: "fp-\(world.prefix)")
            )
            // The summary first: had it been mailed, its mail would come before the error's.
            try await broker.publish([summary, error], to: world)
            #expect(await eventually(timeout: .seconds(20)) { (try? maildir.messages(containing: error.id).count) == 1 })
            try await worker.stop()
            #expect(try maildir.messages(containing: requestID).count == 1, "one mail for the failed request")
            #expect(try maildir.messages(containing: summary.id).isEmpty)
            #expect(try TestServices.messageCount(queue: world.mailQueue) == 0)
        }
    }

    @Test func identicalErrorsGiveOneMailThenOneDigestWithTheCount() async throws {
        let maildir = try prepared(try TestServices.maildir())
        let world = try TestWorld(smtpURL: try TestServices.smtpURL(), storm: StormControlConfiguration(window: .seconds(2), maxMailsPerMinute: 100))
        try await TestBroker.with { broker in
            let worker = try await world.startWorker(broker: broker)
            let details = Event.ErrorDetails(type: "StormError", message: "again", fingerprint: "storm-\(world.prefix)")
            let events = (0..<5).map { Fixtures.event("storm \($0)", level: .error, error: details) }
            try await broker.publish(events, to: world)
            let withFingerprint = { try maildir.messages(containing: "storm-\(world.prefix)") }
            #expect(await eventually(timeout: .seconds(20)) { (try? withFingerprint().count) == 2 })
            try await Task.sleep(for: .seconds(3))
            try await worker.stop()
            let mails = try withFingerprint()
            #expect(mails.count == 2, "one mail, then one digest")
            let digest = try #require(mails.first { $0.contains("X-Beacon-Digest-Count: 4") })
            let (headers, body) = try parse(digest)
            #expect(headers["Subject"] == ["[web] digest: 4 more x ERROR: storm 1"])
            #expect(body.contains("4 more errors came in while mail was held back"))
            #expect(body.contains("4 x ERROR web: storm 1"))
            #expect(body.contains("A mail for this error went out at"))
            #expect(mails.contains { $0.contains("X-Beacon-Event-Id: \(events[0].id)") })
        }
    }

    /// The SMTP server goes away: the error waits in the retry queues (acknowledged only once the broker has it
    /// there); the server comes back: the mail goes out. Nothing reaches the dead-letter queue.
    @Test func anSMTPOutageDelaysTheMailUntilTheServerReturns() async throws {
        let port = try TestServices.freePort()
        let folder = try TestServices.temporaryDirectory()
        let maildir = folder.appendingPathComponent("mail")
        let world = try TestWorld(smtpURL: "smtp://127.0.0.1:\(port)", mailRetry: [.seconds(1), .seconds(2), .seconds(3), .seconds(4), .seconds(5)])
        try await TestBroker.with { broker in
            let worker = try await world.startWorker(broker: broker)
            let event = Fixtures.event(
                "while the server was down",
                level: .critical,
                error: .init(type: "Down", message: "m", fingerprint: "down-\(world.prefix)")
            )
            try await broker.publish([event], to: world)
            #expect(await eventually(timeout: .seconds(10)) { worker.statistics.snapshot[.retried, default: 0] >= 2 }, "the mail is being retried")

            let server = try TestServices.startSMTPServer(maildir: maildir, port: port)
            defer { try? server.stop() }
            let mailbox = server.maildir
            #expect(await eventually(timeout: .seconds(20)) { (try? mailbox.messages(containing: event.id).count) == 1 })
            try await worker.stop()
            #expect(try await broker.ready(world.deadQueue) == 0)
            #expect(try TestServices.messageCount(queue: world.mailQueue) == 0)
            #expect(worker.statistics.snapshot[.written] == 2, "one line, one mail")
        }
    }

    @Test func aMailOutOfTriesGoesToTheDeadLetterQueue() async throws {
        let port = try TestServices.freePort()
        let world = try TestWorld(smtpURL: "smtp://127.0.0.1:\(port)", mailRetry: [.seconds(1)])
        try await TestBroker.with { broker in
            let worker = try await world.startWorker(broker: broker)
            let event = Fixtures.event("nobody listens", level: .error)
            try await broker.publish([event], to: world)
            #expect(await eventually(timeout: .seconds(15)) { (try? await broker.ready(world.deadQueue)) == 1 })
            try await worker.stop()
            let letter = try #require(try await broker.drain(world.deadQueue).first)
            #expect(letter.properties.headers["x-beacon-reason"]?.stringValue == "smtp_unavailable")
            #expect(letter.properties.headers["x-beacon-attempts"]?.intValue == 2)
            #expect(letter.properties.headers["x-beacon-queue"]?.stringValue == world.mailQueue)
            #expect(letter.properties.headers["x-beacon-routing-key"]?.stringValue == "web.error.error")
            #expect(letter.properties.messageID == event.id)
            #expect(world.lines().count == 1, "the file sink wrote it all the same")
        }
    }
}
