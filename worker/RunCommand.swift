import ArgumentParser
import BeaconWorker
import Logging

/// `worker run`: consume and write until SIGTERM or SIGINT.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Consume the queues of worker.yaml into its sinks until SIGTERM or SIGINT (the default command)."
    )

    @OptionGroup var settings: SettingsOptions

    @Option(help: "Most unacknowledged messages per queue, the largest batch a sink writes at once (default 1000).")
    var prefetch: Int?

    func run() async throws {
        let configuration = try settings.load(prefetch: prefetch)
        let logger = Logger(label: "beacon.worker")
        try await reportingFailure {
            try await runUntilSignalled(WorkerService(configuration: configuration, logger: logger), logger: logger)
        }
    }
}
