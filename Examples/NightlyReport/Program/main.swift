// A command-line producer: runs the nightly report and publishes its events to RabbitMQ, with no web server.
//
//   AMQP_URL=amqp://guest:guest@127.0.0.1:5672/%2F BEACON_SPOOL_DIR=var/spool/report nightly-report-example
import BeaconAMQP
import BeaconLogging
import BeaconOutbox
import BeaconOutboxAMQP
import Foundation
import Logging
import NightlyReport
import ServiceLifecycle
import SystemPackage

let environment = ProcessInfo.processInfo.environment
let console: @Sendable (String) -> LineLogHandler = { LineLogHandler.standardError(label: $0) }
let connection = try AMQPConnection(
    configuration: AMQPConfiguration(url: environment["AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5672/%2F"),
    topology: AMQPEventTransport.topology(exchange: environment["BEACON_EXCHANGE"] ?? "events"),
    logger: Logger(label: "beacon.amqp", factory: console)
)
let pipeline = try EventPipeline.amqp(
    connection: connection,
    exchange: environment["BEACON_EXCHANGE"] ?? "events",
    spool: EventSpool(directory: FilePath(environment["BEACON_SPOOL_DIR"] ?? "var/spool/report")),
    service: "report",
    logger: Logger(label: "beacon.outbox", factory: console)
)
// The program bootstraps logging (a library never does): every line to standard error, and from info on as events.
LoggingSystem.bootstrap { LogHandlerPair(console($0), pipeline.logHandler(label: $0)) }

// The pipeline runs while the job does; when it is done, a graceful shutdown flushes (or spools) its events.
let group = ServiceGroup(services: pipeline.services, logger: Logger(label: "report"))
try await withThrowingTaskGroup(of: Void.self) { tasks in
    tasks.addTask { try await group.run() }
    // A job this short would otherwise finish before the first connect, leaving its events in the spool for the
    // next run: give the broker two seconds (and go on without it after that).
    try? await withThrowingTaskGroup(of: Void.self) { race in
        race.addTask { try await connection.waitUntilConnected() }
        race.addTask { try await Task.sleep(for: .seconds(2)) }
        try await race.next()
        race.cancelAll()
    }
    let orders = (1...20).map { NightlyReport.Order(id: "o-\($0)", cents: $0 % 7 == 0 ? nil : $0 * 100) }
    NightlyReport(publisher: pipeline.publisher, logger: Logger(label: "report.nightly")).run(orders: orders)
    await group.triggerGracefulShutdown()
    try await tasks.waitForAll()
}
// An event logged after the outbox stopped goes to the spool on the outbox's queue: on disk before the exit.
await pipeline.outbox.waitForSpoolWrites()
