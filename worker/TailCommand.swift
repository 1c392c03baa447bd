import ArgumentParser
import BeaconWorker
import Foundation
import Logging

/// `worker tail [PATTERN]`: a live, coloured view of the events; Ctrl-C leaves nothing behind on the broker.
struct TailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Show events live, through an exclusive auto-delete queue (Ctrl-C leaves nothing behind)."
    )

    @OptionGroup var settings: SettingsOptions

    @Argument(help: "A routing-key pattern: # (everything), *.*.error, web.request.* …")
    var pattern: String = "#"

    @Flag(inversion: .prefixedNo, help: "Colour by level (default: when stdout is a terminal).")
    var color: Bool?

    func run() async throws {
        let configuration = try settings.load()
        guard let topic = TopicPattern(pattern) else {
            FileHandle.standardError.write(Data("worker: PATTERN: \"\(pattern)\" is not a topic pattern such as # or *.*.error\n".utf8))
            throw ExitCode(2)
        }
        let logger = Logger(label: "beacon.worker.tail")
        let tail = EventTail(configuration: configuration, pattern: topic, color: color ?? (isatty(1) == 1), logger: logger) { line in
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
        try await reportingFailure { try await runUntilSignalled([tail], logger: logger) }
    }
}
