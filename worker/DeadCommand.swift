import ArgumentParser
import BeaconAMQP
import BeaconEvents
import BeaconWorker
import Foundation
import Logging

/// `worker dead list|replay [--limit N]`.
struct DeadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dead",
        abstract: "Inspect the dead-letter queue, or send its letters back to their queues.",
        subcommands: [List.self, Replay.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show dead letters, oldest first; the queue is left as it was.")

        @OptionGroup var settings: SettingsOptions

        @Option(help: "Show at most this many.")
        var limit: Int?

        func run() async throws {
            let configuration = try settings.load()
            let letters = try await reportingFailure {
                try await DeadLetters(configuration: configuration, logger: Logger(label: "beacon.worker.dead")).list(limit: limit)
            }
            if letters.isEmpty { print("\(configuration.broker.deadLetterQueue) is empty") }
            for (index, letter) in letters.enumerated() { print(letter.describe(number: index + 1) + "\n") }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send dead letters back to the queues they came from (poison stays), with a progress bar."
        )

        @OptionGroup var settings: SettingsOptions

        @Option(help: "Send back at most this many.")
        var limit: Int?

        func run() async throws {
            let configuration = try settings.load()
            let bar = ProgressBar(label: "replaying")
            let terminal = isatty(2) == 1
            let result = try await reportingFailure {
                try await DeadLetters(configuration: configuration, logger: Logger(label: "beacon.worker.dead")).replay(limit: limit) { done, total in
                    guard terminal || done == total else { return }
                    FileHandle.standardError.write(
                        Data(((terminal ? "\r" : "") + bar.render(done: done, total: total) + (done == total ? "\n" : "")).utf8)
                    )
                }
            }
            print("replayed \(result.replayed), left \(result.skipped) poison or unaddressed, \(result.failed) not confirmed")
            if result.failed > 0 { throw ExitCode.failure }
        }
    }
}

extension DeadLetters.Letter {
    /// Several lines describing the letter, escaped so that nothing in it can forge a line.
    func describe(number: Int) -> String {
        let line = line.map { " line \($0)" } ?? ""
        let body = LogText.escaped(String(decoding: delivery.body.prefix(300), as: UTF8.self))
        return """
            #\(number)  \(failedAt ?? "-")  from \(queue ?? "?")  \(reason)\(attempts > 0 ? " after \(attempts) tries" : "")\(isPoison ? " (poison)" : "")
                error:       \(LogText.escaped(error))
                routing key: \(LogText.escaped(routingKey))\(line)   message id: \(LogText.escaped(delivery.properties.messageID ?? "-"))   \(delivery.body.count) bytes
                body:        \(body)\(delivery.body.count > 300 ? "…" : "")
            """
    }
}
