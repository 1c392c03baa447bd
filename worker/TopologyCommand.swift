import ArgumentParser
import BeaconWorker
import Logging

/// `worker topology`: declare the exchange and queues, and print what exists.
struct TopologyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topology",
        abstract: "Declare the exchange, queues, retry queues and the dead-letter queue (idempotent), and print them."
    )

    @OptionGroup var settings: SettingsOptions

    func run() async throws {
        let configuration = try settings.load()
        let report = TopologyReport(configuration: configuration, logger: Logger(label: "beacon.worker.topology"))
        let rows = try await reportingFailure { try await report.declare() }
        print(report.table(rows))
    }
}
