import ArgumentParser
import BeaconAMQP
import BeaconWorker
import Foundation
import Logging
import ServiceLifecycle

/// `worker run`: consume and write until SIGTERM or SIGINT; and run the demo's tasks.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Consume the queues of worker.yaml into its sinks until SIGTERM or SIGINT (the default command).",
        discussion: """
            Also runs the demo's tasks: shop.send_receipt from the queue shop (a receipt mailed through the mail \
            sink's SMTP server, SMTP_URL, from MAIL_FROM) and demo.echo from the queue demo; --no-tasks turns them off.
            """
    )

    @OptionGroup var settings: SettingsOptions

    @Option(help: "Most unacknowledged messages per queue, the largest batch a sink writes at once (default 1000).")
    var prefetch: Int?

    @Flag(name: .customLong("no-tasks"), help: "Do not run the demo's tasks (queues shop and demo).")
    var noTasks = false

    func run() async throws {
        let configuration = try settings.load(prefetch: prefetch)
        let logger = Logger(label: "beacon.worker")
        try await reportingFailure {
            var services: [any Service] = [WorkerService(configuration: configuration, logger: logger)]
            if !noTasks {
                var amqp = try AMQPConfiguration(url: configuration.broker.url)
                amqp.connectionName = "worker-tasks@\(ProcessInfo.processInfo.hostName)"
                let taskLogger = Logger(label: "beacon.tasks")
                let connection = try AMQPConnection(configuration: amqp, logger: taskLogger)
                let templates = URL(fileURLWithPath: settings.resolvedConfigPath).deletingLastPathComponent().appendingPathComponent("templates").path
                let tasks = try ShopTasks.worker(connection: connection, configuration: configuration, templates: templates, logger: taskLogger)
                services += [connection, tasks]
            }
            try await runUntilSignalled(services, logger: logger)
        }
    }
}
