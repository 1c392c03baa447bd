public import BeaconAMQP
import BeaconEvents

extension WorkerConfiguration {
    /// What the worker declares at start (and again after every reconnect), as the RabbitMQ UI shows it:
    ///
    /// - the exchange (`events`, topic, durable);
    /// - each queue (`worker.files`, `worker.mail`; durable, classic or quorum) with its bindings;
    /// - one retry queue per retry delay (`worker.mail.retry.30s`): nobody consumes it, its `x-message-ttl` is the
    ///   delay, and expired messages are dead-lettered back to the queue through the default exchange. A queue per
    ///   delay, because classic queues expire messages only at their head: one queue with mixed delays would hold a
    ///   short delay behind a long one;
    /// - the dead-letter queue (`worker.dead`), where poison and messages out of tries wait for a person.
    ///
    /// Declaring is idempotent; a queue that exists with other arguments (say, classic where quorum is asked for)
    /// is refused by the broker with `PRECONDITION_FAILED`.
    public var topology: AMQPTopology {
        let type: AMQPQueue.QueueType = broker.queueType == .quorum ? .quorum : .classic
        var topology = AMQPTopology(exchanges: [AMQPExchange(broker.exchange, kind: .topic)])
        for queue in queues {
            topology.queues.append(AMQPQueue(queue.name, type: type))
            for pattern in queue.bindings {
                topology.bindings.append(.queue(queue.name, exchange: broker.exchange, routingKey: pattern.text))
            }
            for delay in queue.retryDelays {
                topology.queues.append(
                    AMQPQueue(
                        queue.retryQueueName(for: delay),
                        type: type,
                        deadLetterExchange: "",
                        deadLetterRoutingKey: queue.name,
                        messageTTL: delay
                    )
                )
            }
        }
        topology.queues.append(AMQPQueue(broker.deadLetterQueue, type: type))
        return topology
    }

    /// The broker settings, with a connection name the RabbitMQ UI shows (`beacon-worker host pid`).
    public func amqpConfiguration(role: String = "worker") throws(WorkerConfigurationError) -> AMQPConfiguration {
        var amqp: AMQPConfiguration
        do {
            amqp = try AMQPConfiguration(url: broker.url)
        } catch {
            throw WorkerConfigurationError(.invalidValue, key: "broker.url", error.message)
        }
        let identity = ProcessIdentity.current
        amqp.connectionName = amqp.connectionName ?? "beacon-\(role) \(identity.host) \(identity.pid)"
        return amqp
    }
}
