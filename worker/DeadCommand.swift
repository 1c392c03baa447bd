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
        discussion: "--tasks works on the task worker's dead letters (beacon.tasks.dead), --queue on any dead-letter queue.",
        subcommands: [List.self, Replay.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show dead letters, oldest first; the queue is left as it was.")

        @OptionGroup var settings: SettingsOptions
        @OptionGroup var which: DeadQueueOptions

        @Option(help: "Show at most this many.")
        var limit: Int?

        func run() async throws {
            let configuration = try settings.load()
            let dead = DeadLetters(configuration: configuration, queue: which.name, logger: Logger(label: "beacon.worker.dead"))
            let letters = try await reportingFailure { try await dead.list(limit: limit) }
            if letters.isEmpty { print("\(dead.queue) is empty") }
            for (index, letter) in letters.enumerated() { print(letter.describe(number: index + 1) + "\n") }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send dead letters back to the queues they came from (poison stays), with a progress bar."
        )

        @OptionGroup var settings: SettingsOptions
        @OptionGroup var which: DeadQueueOptions

        @Option(help: "Send back at most this many.")
        var limit: Int?

        func run() async throws {
            let configuration = try settings.load()
            let bar = ProgressBar(label: "replaying")
            let terminal = isatty(2) == 1
            let dead = DeadLetters(configuration: configuration, queue: which.name, logger: Logger(label: "beacon.worker.dead"))
            let result = try await reportingFailure {
                try await dead.replay(limit: limit) { done, total in
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

/// Which dead-letter queue: the worker's (worker.yaml's `dead_letter_queue`), the task worker's, or another.
struct DeadQueueOptions: ParsableArguments {
    @Flag(help: "The task worker's dead letters (beacon.tasks.dead).")
    var tasks = false

    @Option(help: "A dead-letter queue by name.")
    var queue: String?

    func validate() throws {
        if tasks && queue != nil { throw ValidationError("give --tasks or --queue, not both") }
    }

    /// The queue's name; `nil` for the worker's own.
    var name: String? { tasks ? "beacon.tasks.dead" : queue }
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
