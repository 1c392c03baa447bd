import BeaconEvents
import Foundation
import IntegrationSupport
import Logging
import Testing

@testable import BeaconWorker

/// The mail sink on the test SMTP server, its clock moved by hand: storm state survives a restart.
@Suite struct MailSinkTests {
    @Test func aRestartNeitherForgetsHeldBackErrorsNorMailsTheStormAgain() throws {
        let maildir = try TestServices.maildir()
        for folder in ["tmp", "new", "cur"] {
            try FileManager.default.createDirectory(at: maildir.url.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        let directory = try TestServices.temporaryDirectory().path
        let clock = Fixtures.ManualClock(Event.Timestamp.now().millisecondsSince1970)
        let fingerprint = "restart-\(UUID().uuidString)"
        let configuration = try Fixtures.mailSink(
            smtpURL: try TestServices.smtpURL(),
            storm: StormControlConfiguration(window: .seconds(60), maxMailsPerMinute: 10)
        )
        func sink() throws -> MailSink {
            try MailSink(
                name: "mail",
                configuration: configuration,
                context: SinkContext(
                    name: "mail",
                    configuration: WorkerConfiguration(stateDirectory: directory, queues: [], sinks: []),
                    clock: clock.function,
                    logger: Logger(label: "test.mail")
                )
            )
        }
        func event(_ number: Int) -> Event {
            Fixtures.event("restart \(number)", level: .error, error: Event.ErrorDetails(type: "E", message: "m", fingerprint: fingerprint))
        }
        let mails = { try maildir.messages(containing: fingerprint) }

        let storm = (1...3).map(event)
        do {
            let first = try sink()
            #expect(first.write(storm).allSatisfy { $0 == nil })
            #expect(try mails().count == 1, "one mail, two held back")
        }
        clock.advance(by: .seconds(10))
        let second = try sink()
        #expect(storm.allSatisfy { second.journal.contains($0.id) }, "mailed and held-back events are recognised")
        let fourth = event(4)
        #expect(second.write([fourth]).allSatisfy { $0 == nil })
        #expect(try mails().count == 1, "the window opened before the restart still holds")
        try second.tick()
        #expect(try mails().count == 1, "no digest before the window ends")
        clock.advance(by: .seconds(51))
        try second.tick()
        let all = try mails()
        #expect(all.count == 2)
        #expect(all.contains { $0.contains("X-Beacon-Digest-Count: 3") }, "the two held before the restart and the one after")
        try second.tick()
        #expect(try mails().count == 2, "the digest goes out once")
    }
}
