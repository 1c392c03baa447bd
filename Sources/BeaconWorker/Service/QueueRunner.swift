import BeaconAMQP
import Logging
import ServiceLifecycle

/// One queue's loop: take a batch from the consumer, run it through the pipeline (on the pipeline's thread),
/// settle it (retries and dead letters confirmed, then the acknowledgement), and tick the sinks once a second.
struct QueueRunner: Sendable {
    let pipeline: QueuePipeline
    let consumer: AMQPConsumer
    let settler: DeliverySettler
    let statistics: WorkerStatistics
    let logger: Logger

    static func start(
        queue: WorkerConfiguration.Queue,
        configuration: WorkerConfiguration,
        connection: AMQPConnection,
        statistics: WorkerStatistics,
        clock: @escaping @Sendable () -> Int64,
        logger: Logger
    ) async throws -> QueueRunner {
        var logger = logger
        logger[metadataKey: "queue"] = "\(queue.name)"
        let pipeline = QueuePipeline(queue: queue, configuration: configuration, statistics: statistics, clock: clock, logger: logger)
        let consumer: AMQPConsumer
        let publisher: AMQPChannel
        do {
            try await pipeline.open()
            let prefetch = configuration.broker.prefetch
            // A batch is at most half the prefetch: the broker keeps delivering the other half while a batch is written.
            consumer = try await connection.consume(queue: queue.name, prefetch: UInt16(prefetch), maximumBatchSize: max(1, prefetch / 2))
            do {
                publisher = try await connection.openChannel()
            } catch {
                await consumer.channel.close()
                throw error
            }
        } catch {
            // Nothing will run this pipeline: close the sinks it opened and let its thread end.
            await pipeline.close()
            throw error
        }
        let settler = DeliverySettler(
            queue: queue,
            deadLetterQueue: configuration.broker.deadLetterQueue,
            consumerChannel: consumer.channel,
            publisher: publisher,
            statistics: statistics,
            logger: logger
        )
        logger.info("consuming", metadata: ["sinks": "\(queue.sinks.joined(separator: ","))"])
        return QueueRunner(pipeline: pipeline, consumer: consumer, settler: settler, statistics: statistics, logger: logger)
    }

    func run() async throws {
        defer { logger.debug("consumer ended") }
        do {
            try await withGracefulShutdownHandler {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { [pipeline] in
                        while true {
                            try await Task.sleep(for: .seconds(1))
                            await pipeline.tick()
                        }
                    }
                    for try await batch in consumer {
                        statistics.add(batch.count, .received, queue: pipeline.queue.name)
                        let outcomes = await pipeline.process(batch)
                        await settler.settle(batch, outcomes)
                    }
                    group.cancelAll()
                }
            } onGracefulShutdown: { [consumer, logger] in
                logger.info("stopping: finishing what is in hand")
                Task { try? await consumer.cancel() }
            }
        } catch {
            await pipeline.close()
            throw error
        }
        await pipeline.close()
    }
}
