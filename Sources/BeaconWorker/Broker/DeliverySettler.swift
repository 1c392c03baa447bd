import BeaconAMQP
import BeaconEvents
import Logging

/// Settles a processed batch: publishes what the sinks could not finish to a retry queue or the dead-letter queue,
/// waits for the broker's confirms, and only then acknowledges the deliveries — with one `multiple` ack when the
/// whole batch is settled, one by one otherwise. A delivery whose retry or dead letter the broker did not confirm is
/// requeued instead (`nack`), so nothing is lost; its events come back and the journal skips those already written.
struct DeliverySettler: Sendable {
    let queue: WorkerConfiguration.Queue
    let deadLetterQueue: String
    /// The consumer's channel: acknowledgements go there.
    let consumerChannel: AMQPChannel
    /// A channel of the pipeline's own for publishing retries and dead letters.
    let publisher: AMQPChannel
    let statistics: WorkerStatistics
    let logger: Logger

    func settle(_ deliveries: [AMQPDelivery], _ outcomes: [DeliveryOutcome]) async {
        var messages: [AMQPMessage] = []
        var owners: [Int] = []
        var kinds: [WorkerStatistics.Kind] = []
        func add(_ message: AMQPMessage, for index: Int, as kind: WorkerStatistics.Kind) {
            messages.append(message)
            owners.append(index)
            kinds.append(kind)
        }
        for (index, (delivery, outcome)) in zip(deliveries, outcomes).enumerated() {
            for line in outcome.poisonLines {
                var headers = reasonHeaders(delivery, reason: line.error.code.description, error: line.error.message)
                headers[DeadLetterHeaders.line] = .int64(Int64(line.number))
                add(
                    message(to: deadLetterQueue, body: line.body, delivery, headers: headers, contentType: Event.contentType),
                    for: index,
                    as: .poison
                )
            }
            switch outcome.disposition {
            case .done:
                continue
            case .poison(let error):
                let headers = reasonHeaders(delivery, reason: error.code.description, error: error.message)
                add(message(to: deadLetterQueue, body: delivery.body, delivery, headers: headers), for: index, as: .poison)
            case .failed(let failure):
                let attempts = DeadLetterHeaders.failedAttempts(delivery.properties.headers, limit: queue.maxAttempts) + 1
                var headers = reasonHeaders(delivery, reason: failure.code.description, error: failure.message)
                headers[DeadLetterHeaders.attempts] = .int64(Int64(attempts))
                headers[DeadLetterHeaders.sink] = .string(failure.sink)
                // A batch whose poison lines went to the dead-letter queue is retried without them.
                let body = outcome.poisonLines.isEmpty ? delivery.body : EventBatch.encode(outcome.goodEvents)
                if failure.isPermanent || attempts >= queue.maxAttempts {
                    add(message(to: deadLetterQueue, body: body, delivery, headers: headers), for: index, as: .deadLettered)
                } else {
                    let retryQueue = queue.retryQueueName(for: queue.retryDelays[attempts - 1])
                    add(message(to: retryQueue, body: body, delivery, headers: headers), for: index, as: .retried)
                }
            }
        }

        var settled = [Bool](repeating: true, count: deliveries.count)
        if !messages.isEmpty {
            let results = await publisher.publish(messages)
            for (position, result) in results.enumerated() {
                if result.isConfirmed {
                    statistics.add(1, kinds[position], queue: queue.name)
                    logDisposal(messages[position], kind: kinds[position])
                } else {
                    settled[owners[position]] = false
                    statistics.add(1, .unconfirmed, queue: queue.name)
                    logger.warning(
                        "the broker did not confirm a message for \(messages[position].routingKey): requeueing the original",
                        metadata: ["outcome": "\(result)"]
                    )
                }
            }
        }
        acknowledge(deliveries, settled: settled)
    }

    private func acknowledge(_ deliveries: [AMQPDelivery], settled: [Bool]) {
        guard let last = deliveries.last else { return }
        do {
            if settled.allSatisfy({ $0 }) {
                try consumerChannel.ack(last, multiple: true)
            } else {
                for (delivery, done) in zip(deliveries, settled) {
                    if done { try consumerChannel.ack(delivery) } else { try consumerChannel.nack(delivery, requeue: true) }
                }
            }
        } catch  where error.code == .staleDelivery {
            // The connection was lost meanwhile: the broker redelivers the batch, and the journals skip what is written.
            logger.info("connection lost before the acknowledgement: the batch comes again (already written events are skipped)")
        } catch {
            logger.warning("acknowledging failed: the batch comes again", metadata: ["error": "\(error)"])
        }
    }

    private func reasonHeaders(_ delivery: AMQPDelivery, reason: String, error: String) -> AMQPTable {
        var headers = delivery.properties.headers
        headers[DeadLetterHeaders.reason] = .string(reason)
        headers[DeadLetterHeaders.error] = .string(String(error.prefix(1000)))
        headers[DeadLetterHeaders.queue] = .string(queue.name)
        headers[DeadLetterHeaders.routingKey] = .string(DeadLetterHeaders.originalRoutingKey(of: delivery))
        headers[DeadLetterHeaders.failedAt] = .string(Event.Timestamp.now().rfc3339)
        return headers
    }

    private func message(
        to queueName: String,
        body: [UInt8],
        _ delivery: AMQPDelivery,
        headers: AMQPTable,
        contentType: String? = nil
    ) -> AMQPMessage {
        var properties = delivery.properties
        properties.headers = headers
        properties.deliveryMode = .persistent
        if let contentType { properties.contentType = contentType }
        return AMQPMessage(exchange: "", routingKey: queueName, body: body, properties: properties)
    }

    private func logDisposal(_ message: AMQPMessage, kind: WorkerStatistics.Kind) {
        let headers = message.properties.headers
        let metadata: Logger.Metadata = [
            "reason": "\(headers[DeadLetterHeaders.reason]?.stringValue ?? "-")",
            "error": "\(LogText.escaped(headers[DeadLetterHeaders.error]?.stringValue ?? "-"))",
            "message_id": "\(LogText.escaped(message.properties.messageID ?? "-"))",
            "to": "\(message.routingKey)",
        ]
        switch kind {
        case .retried: logger.info("a sink failed: the message waits in a retry queue", metadata: metadata)
        case .poison: logger.warning("poison: sent to the dead-letter queue", metadata: metadata)
        default: logger.error("a sink failed for good or for the last time: sent to the dead-letter queue", metadata: metadata)
        }
    }
}
