import BeaconAMQP
import BeaconEvents
import Foundation
import IntegrationSupport
import Logging
import Testing

@testable import BeaconWorker

/// The built `worker` executable as a child process: exit codes, SIGTERM, and `kill -9` in the middle of a stream.
@Suite(.serialized) struct WorkerProgramTests {
    @Test func aBadSettingIsOneLineAndExitCode2() async throws {
        let badURL = try await WorkerProcess.run(["run", "--amqp-url", "amqp://user:hunter2@127.0.0.1:99999/"])
        #expect(badURL.status == 2)
        #expect(badURL.output == "worker: --amqp-url: port 99999 is not in 1…65535\n")
        #expect(!badURL.output.contains("hunter2"))

        let world = try TestWorld()
        let yaml = world.directory.appendingPathComponent("bad.yaml")
        try "broker:\n  exchange: events\nsinks:\n  app.log:\n    type: file\n    path: app.log\n    rotate: {max_bytes: ten}\n".write(
            to: yaml,
            atomically: true,
            encoding: .utf8
        )
        let badFile = try await WorkerProcess.run(["topology", "--config", yaml.path])
        #expect(badFile.status == 2)
        #expect(badFile.output.hasPrefix("worker: \(yaml.path):7: sinks.app.log.rotate.max_bytes: \"ten\" is not a byte count"))
        #expect(badFile.output.split(separator: "\n").count == 1)

        let badEnvironment = try await WorkerProcess.run(["dead", "list"], environment: ["MAIL_TO": "ops@localhost, <evil>"])
        #expect(badEnvironment.status == 2)
        #expect(badEnvironment.output.hasPrefix("worker: MAIL_TO: "))

        let badExchange = try await WorkerProcess.run(["topology"], environment: ["BEACON_EXCHANGE": "bad name"])
        #expect(badExchange.status == 2)
        #expect(badExchange.output == "worker: BEACON_EXCHANGE: 'bad name' is not an exchange name (letters, digits, -, _, ., :)\n")
    }

    @Test func aBadFlagIsOneLineAndExitCode2LikeABadSetting() async throws {
        let badValue = try await WorkerProcess.run(["run", "--prefetch", "lots"])
        #expect(badValue.status == 2)
        #expect(badValue.output == "worker: error: The value 'lots' is invalid for '--prefetch <prefetch>'\n")

        let unknown = try await WorkerProcess.run(["dead", "list", "--bogus"])
        #expect(unknown.status == 2)
        #expect(unknown.output.split(separator: "\n").count == 1)

        let help = try await WorkerProcess.run(["--help"])
        #expect(help.status == 0)
        #expect(help.output.contains("USAGE: worker"))
    }

    @Test func sigtermFinishesWhatIsInHandAndExitsZero() async throws {
        let world = try TestWorld()
        try await TestBroker.with { broker in
            _ = try await TopologyReport(configuration: world.configuration, logger: Logger(label: "test.topology")).declare()
            let events = (0..<20_000).map { Fixtures.event("stream \($0)") }
            try await broker.publish(events, to: world)
            let worker = try WorkerProcess(
                ["run", "--config", try world.writeYAML(), "--prefetch", "500"],
                output: world.directory.appendingPathComponent("worker.out")
            )
            #expect(await eventually(timeout: .seconds(30)) { world.writtenIDsAcrossRotations().count > 2000 })
            worker.signal(SIGTERM)
            #expect(try await worker.wait() == 0, "\(worker.log)")
            #expect(worker.log.contains("stopped"))
            let written = world.writtenIDsAcrossRotations()
            #expect(Set(written).count == written.count, "nothing written twice")
            // Everything in hand was written and acknowledged; the rest is still in the queue, none of it unacknowledged.
            #expect(try TestServices.messageCount(queue: world.filesQueue) == events.count - written.count)
            #expect(written.count < events.count, "it stopped in the middle of the stream")
        }
    }

    /// `kill -9` in the middle of a stream (between a write and its acknowledgement, most likely), then a restart:
    /// every event is in the files exactly once — the broker redelivers what was not acknowledged, and the
    /// journal recognises what was already written or rolls back a half-written batch.
    @Test func killNineMidStreamThenRestartLosesNothingAndWritesNothingTwice() async throws {
        let world = try TestWorld()
        try await TestBroker.with { broker in
            _ = try await TopologyReport(configuration: world.configuration, logger: Logger(label: "test.topology")).declare()
            let events = (0..<30_000).map { Fixtures.event("stream \($0) " + String(repeating: "x", count: $0 % 50)) }
            try await broker.publish(events, to: world)
            let yaml = try world.writeYAML()
            for round in 1...3 {
                let worker = try WorkerProcess(
                    ["run", "--config", yaml, "--prefetch", "500"],
                    output: world.directory.appendingPathComponent("worker-\(round).out")
                )
                let target = round * 6000
                #expect(await eventually(timeout: .seconds(60)) { world.writtenIDsAcrossRotations().count > target }, "\(worker.log)")
                worker.signal(SIGKILL)
                _ = try await worker.wait()
            }
            let last = try WorkerProcess(["run", "--config", yaml], output: world.directory.appendingPathComponent("worker-last.out"))
            #expect(await eventually(timeout: .seconds(60)) { world.writtenIDsAcrossRotations().count >= events.count })
            try await Task.sleep(for: .seconds(1))
            last.signal(SIGTERM)
            #expect(try await last.wait() == 0)

            let written = world.writtenIDsAcrossRotations()
            #expect(written.count == events.count, "every event once: \(written.count) lines for \(events.count) events")
            #expect(Set(written) == Set(events.map(\.id)))
            #expect(try TestServices.messageCount(queue: world.filesQueue) == 0)
            #expect(last.log.contains("duplicates="), "\(last.log)")
        }
    }
}
