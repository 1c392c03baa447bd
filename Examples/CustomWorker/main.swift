// A worker of one's own: the stock sinks and a JSON-lines sink, as one service in the program's ServiceGroup.
//
//   AMQP_URL=amqp://guest:guest@127.0.0.1:5672/%2F BEACON_WORKER_CONFIG=Examples/CustomWorker/worker.yaml \
//       custom-worker-example
import BeaconWorker
import Logging
import ServiceLifecycle
import UnixSignals

// The program bootstraps logging (a library never does) and hands the worker its logger.
LoggingSystem.bootstrap(StreamLogHandler.standardError)
let logger = Logger(label: "custom-worker")

// `worker.yaml` may now name `type: jsonl` beside file, syslog and mail.
let configuration = try WorkerConfiguration.load(kinds: .standard.registering(JSONLinesKind()))
let worker = WorkerService(configuration: configuration, logger: logger)

// SIGTERM or SIGINT: the worker finishes, flushes and acknowledges what is in hand, then the program ends.
let group = ServiceGroup(
    configuration: .init(services: [.init(service: worker)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
)
try await group.run()
