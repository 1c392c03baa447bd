import BeaconAMQP
import BeaconEvents
import BeaconFileSystem
import Logging

/// One queue's work between the broker and the sinks: decode each delivery, drop what a sink has already made
/// durable (its journal knows), write each sink's share in one batch, record in the journal what the sink made
/// durable (a stock sink records it itself, with records of its own), and say what became of each delivery.
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
    private var sinks: [OpenSink] = []

    /// A sink in use, with what the pipeline keeps for it.
    private struct OpenSink {
        let name: String
        let filter: EventFilter
        let sink: any EventSink
        let journal: SinkJournal
        /// False for a ``JournaledSink``, which commits its events itself.
        let pipelineCommits: Bool
    }

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
            guard let entry = configuration.sink(named: name) else { continue }
            let context = SinkContext(name: name, configuration: configuration, clock: clock, logger: logger)
            let sink: any EventSink
            let journal: SinkJournal
            do {
                sink = try entry.kind.makeSink(context)
            } catch {
                throw WorkerError(.sink, "cannot open the sink \(name): \(error.message)")
            }
            if let journaled = sink as? any JournaledSink {
                journal = journaled.journal
            } else {
                do {
                    journal = try context.journal()
                } catch {
                    sink.close()
                    throw WorkerError(.sink, "cannot open the sink \(name): \(error.message)")
                }
            }
            let pipelineCommits = !(sink is any JournaledSink)
            sinks.append(OpenSink(name: name, filter: entry.filter, sink: sink, journal: journal, pipelineCommits: pipelineCommits))
        }
    }

    /// Runs a batch of deliveries through the sinks; one outcome per delivery, in order.
    func process(_ deliveries: [AMQPDelivery]) -> [DeliveryOutcome] {
        let messages = deliveries.map { delivery in
            DecodedMessage(body: delivery.body, contentType: delivery.properties.contentType, maxBytes: configuration.broker.maxMessageBytes)
        }
        var failures = [SinkError?](repeating: nil, count: deliveries.count)
        for open in sinks {
            var batch: [Event] = []
            var owners: [Int] = []
            var seen = Set<String>()
            var duplicates = 0
            for (index, message) in messages.enumerated() {
                for event in message.events where open.filter.accepts(event) {
                    guard !open.journal.contains(event.id), seen.insert(event.id).inserted else {
                        duplicates += 1
                        continue
                    }
                    batch.append(event)
                    owners.append(index)
                }
            }
            if duplicates > 0 {
                statistics.add(duplicates, .duplicates, sink: open.name)
                logger.debug("skipped events the sink has already", metadata: ["sink": "\(open.name)", "count": "\(duplicates)"])
            }
            guard !batch.isEmpty else { continue }
            var written = 0
            for (position, result) in write(batch, to: open).enumerated() {
                guard let error = result else {
                    written += 1
                    continue
                }
                let owner = owners[position]
                // A transient failure wins over a permanent one: the retry may still succeed.
                if failures[owner] == nil || failures[owner]!.isPermanent { failures[owner] = error }
            }
            statistics.add(written, .written, sink: open.name)
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

    /// The sink's results for `batch`; for a sink that does not keep its journal itself, the events it made durable
    /// are committed to the journal (and synced) before the delivery can be acknowledged.
    private func write(_ batch: [Event], to open: OpenSink) -> [SinkError?] {
        var results = open.sink.write(batch)
        if results.count != batch.count {
            let error = SinkError(.custom("result_count"), sink: open.name, "returned \(results.count) results for \(batch.count) events")
            return Array(repeating: error, count: batch.count)
        }
        guard open.pipelineCommits else { return results }
        let durable = batch.indices.filter { results[$0] == nil }
        guard !durable.isEmpty else { return results }
        do {
            try open.journal.commit(durable.map { batch[$0].id }, sync: true)
        } catch {
            let failure = SinkError(.journal, sink: open.name, error.description)
            for index in durable { results[index] = failure }
        }
        return results
    }

    /// Time-driven sink work (interval fsync, due digests); about once a second.
    func tick() {
        for open in sinks {
            do {
                try open.sink.tick()
            } catch {
                logger.warning("\(error.message)", metadata: ["sink": "\(open.name)", "reason": "\(error.code)"])
            }
        }
    }

    /// Flushes and closes the sinks, and lets the pipeline's thread end.
    func close() {
        for open in sinks { open.sink.close() }
        sinks = []
        executor.shutdown()
    }
}
