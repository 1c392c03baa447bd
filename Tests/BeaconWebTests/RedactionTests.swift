import Beacon
import BeaconEvents
import BeaconOutbox
import BeaconTesting
import BeaconWebTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InMemoryLogging
import Logging
import Testing

@testable import BeaconLogging
@testable import BeaconWeb

/// Secrets never leave the process, and nothing a client sends can forge a log line.
@Suite struct RedactionTests {
    static let secretHeaders: HTTPFields = [
        .authorization: "Bearer s3cr3t-bearer",
        .cookie: "session=s3cr3t-cookie",
        .setCookie: "id=s3cr3t-set-cookie",
        .accept: "application/json",
        HTTPField.Name("X-Access-Token")!: "s3cr3t-access",
        HTTPField.Name("X-Session-Id")!: "s3cr3t-session",
        .referer: "https://example.com/reset?user=ann&token=s3cr3t-referer",
    ]

    @Test func secretsStayOutOfEventsAndLogs() async throws {
        let test = try TestApp()
        try await test.test { client in
            try await client.execute(uri: "/boom?user=ann&password=s3cr3t-pw&api_token=s3cr3t-tok", method: .get, headers: Self.secretHeaders) { _ in
            }
            try await client.execute(uri: "/hello?client_secret=s3cr3t-cs&page=2", method: .get, headers: Self.secretHeaders) { _ in }
        }
        let events = test.events.transport.events
        #expect(events.count == 3)
        for event in events {
            let json = String(decoding: event.jsonBytes(), as: UTF8.self)
            #expect(!json.contains("s3cr3t"), "\(json)")
        }
        let error = try #require(events.first { $0.kind == .error })
        #expect(error.request?.path == "/boom?user=ann&password=[REDACTED]&api_token=[REDACTED]")
        #expect(error.metadata["header.authorization"] == "[REDACTED]")
        #expect(error.metadata["header.cookie"] == "[REDACTED]")
        #expect(error.metadata["header.set-cookie"] == "[REDACTED]")
        #expect(error.metadata["header.accept"] == "application/json", "other headers travel")
        #expect(error.metadata["header.x-access-token"] == "[REDACTED]", "a header named like a secret")
        #expect(error.metadata["header.x-session-id"] == "[REDACTED]")
        #expect(error.metadata["header.referer"] == "https://example.com/reset?user=ann&token=[REDACTED]")
        #expect(events.contains { $0.request?.path == "/hello?client_secret=[REDACTED]&page=2" })
        for record in test.logs.entries {
            #expect(!record.message.description.contains("s3cr3t"), "\(record.message)")
        }
        #expect(test.logs.entries.contains { $0.message.description.hasPrefix("GET /hello?client_secret=[REDACTED]&page=2 200 ") })
    }

    @Test func aLogLineDoesNotShowSecretMetadata() {
        let handler = LineLogHandler(label: "web", fileDescriptor: -1)
        let record = LogEvent(
            level: .info,
            message: "login",
            metadata: ["user": "ann", "password": "s3cr3t", "api_token": "s3cr3t"],
            source: nil,
            file: #fileID,
            function: #function,
            line: #line
        )
        let line = String(decoding: handler.format(record), as: UTF8.self)
        #expect(!line.contains("s3cr3t"), "\(line)")
        #expect(line.contains("[api_token=[REDACTED] password=[REDACTED] user=ann]"), "\(line)")
    }

    @Test func aLogLineCannotBeForged() throws {
        let handler = LineLogHandler(label: "web", fileDescriptor: -1)
        let forged = "GET /x 200\n2026-11-21T10:15:30.123Z critical web: forged\r\u{1b}[2J\u{2028}"
        let line = String(
            decoding: handler.format(
                LogEvent(
                    level: .info,
                    message: "\(forged)",
                    metadata: ["agent": "\(forged)", "key\nwith break": "v"],
                    source: nil,
                    file: #fileID,
                    function: #function,
                    line: #line
                )
            ),
            as: UTF8.self
        )
        #expect(line.hasSuffix("\n"))
        #expect(line.dropLast().allSatisfy { !$0.isNewline }, "\(line)")
        #expect(line.contains("GET /x 200\\n2026-11-21T10:15:30.123Z critical web: forged\\r\\x1b[2J\\u2028"))
        #expect(line.contains("key\\nwith break=v"))
    }

    @Test func theRequestLogEscapesThePath() {
        let scope = RequestScope(
            id: "id",
            request: Request(
                head: HTTPRequest(method: .get, scheme: "http", authority: "localhost", path: "/a%0d%0aforged\u{7f}?token=x"),
                body: RequestBody(buffer: ByteBuffer())
            ),
            channel: nil,
            endpointPath: EndpointPath(),
            redaction: .standard,
            tasks: AppTasks(),
            startInstant: .now
        )
        let line = RequestLog.line(for: scope, status: .ok, duration: .microseconds(410))
        // HTTPTypes already turns control characters in a path into spaces; the log escapes whatever is left.
        #expect(line.hasPrefix("GET /a%0d%0aforged"))
        #expect(line.hasSuffix("?token=[REDACTED] 200 0.41ms"))
        #expect(!line.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f }, "\(line)")
    }

    @Test(arguments: [
        (Duration.microseconds(410), "0.41"),
        (.microseconds(6), "0.01"),
        (.zero, "0.00"),
        (.milliseconds(12), "12.00"),
        (.microseconds(1_503_274), "1503.27"),
    ])
    func milliseconds(duration: Duration, expected: String) {
        #expect(RequestLog.milliseconds(duration) == expected)
    }
}
