import BeaconAMQP
import BeaconEvents
import Logging

/// One queue's work between the broker and the sinks: decode each delivery, drop what a sink has already made
/// durable (the journal knows), write each sink's share in one batch, and say what became of each delivery.
///
/// An actor on a thread of its own (``DedicatedThreadExecutor``): the sinks block in `write(2)`, `fsync(2)` and
/// libcurl there, never on Swift concurrency's cooperative pool. Sinks are built on that thread too (``open()``)
/// and never leave it.
actor QueuePipeline {
    nonisolated let queue: WorkerConfiguration.Queue
    private nonisolated let executor: DedicatedThreadExecutor
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    private let configuration: WorkerConfiguration
    private let statistics: WorkerStatistics
    private let clock: @Sendable () -> Int64
    private let logger: Logger
    private var sinks: [any Sink] = []

    init(
        queue: WorkerConfiguration.Queue,
        configuration: WorkerConfiguration,
        statistics: WorkerStatistics,
        clock: @escaping @Sendable () -> Int64,
        logger: Logger
    ) {
        self.queue = queue
        self.configuration = configuration
        self.statistics = statistics
        self.clock = clock
        self.logger = logger
        executor = DedicatedThreadExecutor(name: "beacon-\(queue.name)")
    }

    /// Opens the queue's sinks (files, sockets, journals), rolling back a write a killed worker left unfinished.
    func open() throws(WorkerError) {
        for name in queue.sinks {
            guard let sink = configuration.sink(named: name) else { continue }
            do {
                sinks.append(try SinkFactory.make(sink, configuration: configuration, clock: clock, logger: logger))
            } catch {
                throw WorkerError(.sink, "cannot open the sink \(name): \(error.message)")
            }
        }
    }

    /// Runs a batch of deliveries through the sinks; one outcome per delivery, in order.
    func process(_ deliveries: [AMQPDelivery]) -> [DeliveryOutcome] {
        let messages = deliveries.map { delivery in
            DecodedMessage(body: delivery.body, contentType: delivery.properties.contentType, maxBytes: configuration.broker.maxMessageBytes)
        }
        var failures = [SinkError?](repeating: nil, count: deliveries.count)
        for sink in sinks {
            var batch: [Event] = []
            var owners: [Int] = []
            var seen = Set<String>()
            var duplicates = 0
            for (index, message) in messages.enumerated() {
                for event in message.events where sink.filter.accepts(event) {
                    guard !sink.journal.contains(event.id), seen.insert(event.id).inserted else {
                        duplicates += 1
                        continue
                    }
                    batch.append(event)
                    owners.append(index)
                }
            }
            if duplicates > 0 {
                statistics.add(duplicates, .duplicates, sink: sink.name)
                logger.debug("skipped events the sink has already", metadata: ["sink": "\(sink.name)", "count": "\(duplicates)"])
            }
            guard !batch.isEmpty else { continue }
            var written = 0
            for (position, result) in sink.write(batch).enumerated() {
                guard let error = result else {
                    written += 1
                    continue
                }
                let owner = owners[position]
                // A transient failure wins over a permanent one: the retry may still succeed.
                if failures[owner] == nil || failures[owner]!.isPermanent { failures[owner] = error }
            }
            statistics.add(written, .written, sink: sink.name)
        }
        return messages.enumerated().map { index, message in
            var outcome: DeliveryOutcome
            if let poison = message.poison {
                outcome = DeliveryOutcome(disposition: .poison(poison))
            } else if let failure = failures[index] {
                outcome = DeliveryOutcome(disposition: .failed(failure))
            } else {
                outcome = DeliveryOutcome(disposition: .done)
            }
            outcome.poisonLines = message.poisonLines
            if !message.poisonLines.isEmpty { outcome.goodEvents = message.events }
            return outcome
        }
    }

    /// Time-driven sink work (interval fsync, due digests); about once a second.
    func tick() {
        for sink in sinks {
            do {
                try sink.tick()
            } catch {
                logger.warning("\(error.message)", metadata: ["sink": "\(sink.name)", "reason": "\(error.code)"])
            }
        }
    }

    /// Flushes and closes the sinks, and lets the pipeline's thread end.
    func close() {
        for sink in sinks { sink.close() }
        sinks = []
        executor.shutdown()
    }
}
