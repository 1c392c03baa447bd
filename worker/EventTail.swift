import BeaconAMQP
import BeaconEvents
import BeaconWorker
import Logging
import ServiceLifecycle

/// `worker tail [PATTERN]`: a live view of the events whose routing key matches a pattern, one coloured line each.
///
/// It reads through a queue of its own, `worker.tail.<host>.<pid>`: exclusive (only this connection may use it)
/// and auto-delete, bound to the exchange with the pattern. The broker deletes it when the connection closes —
/// on Ctrl-C, and on a crash or `kill -9` too — so a tail leaves nothing behind.
struct EventTail: Service {
    let configuration: WorkerConfiguration
    let pattern: TopicPattern
    let color: Bool
    let output: @Sendable (String) -> Void
    let logger: Logger

    init(
        configuration: WorkerConfiguration,
        pattern: TopicPattern = .everything,
        color: Bool,
        logger: Logger,
        output: @escaping @Sendable (String) -> Void
    ) {
        self.configuration = configuration
        self.pattern = pattern
        self.color = color
        self.logger = logger
        self.output = output
    }

    /// The tail queue's name for this process.
    static var queueName: String {
        let identity = ProcessIdentity.current
        return "worker.tail.\(identity.host).\(identity.pid)"
    }

    /// Shows events until graceful shutdown (SIGINT, SIGTERM).
    func run() async throws {
        let name = Self.queueName
        let topology = AMQPTopology(
            exchanges: [AMQPExchange(configuration.broker.exchange, kind: .topic)],
            queues: [AMQPQueue(name, durable: false, exclusive: true, autoDelete: true)],
            bindings: [.queue(name, exchange: configuration.broker.exchange, routingKey: pattern.text)]
        )
        try await AMQPConnection.withConnection(
            configuration: configuration.amqpConfiguration(role: "tail"),
            topology: topology,
            logger: logger
        ) { connection in
            logger.info("tailing \(pattern) on \(configuration.broker.exchange) through \(name); Ctrl-C to stop")
            let consumer = try await connection.consume(queue: name, prefetch: 500, maximumBatchSize: 500, exclusive: true)
            var lines = TailLines(color: color)
            try await withGracefulShutdownHandler {
                for try await batch in consumer {
                    for delivery in batch {
                        output(lines.line(for: delivery))
                    }
                    if let last = batch.last { try? consumer.channel.ack(last, multiple: true) }
                }
            } onGracefulShutdown: {
                Task { try? await consumer.cancel() }
            }
        }
    }
}

/// How a tail shows a message: `10:15:30.123 ERROR    web.error.error    message [request id]`, coloured by level.
struct TailLines {
    let color: Bool
    private var format = try! LogFormat("%(levelname)-8s %(routing_key)-24s %(message)s [%(request_id)s]", timeZone: .local)
    private var time = try! LogFormat("%(asctime)s", dateFormat: "%H:%M:%S", timeZone: .local)

    init(color: Bool) { self.color = color }

    mutating func line(for delivery: AMQPDelivery) -> String {
        let message = DecodedMessage(body: delivery.body, contentType: delivery.properties.contentType, maxBytes: .max)
        if let poison = message.poison {
            return paint("not an event (\(poison.code)): \(LogText.escaped(poison.message))", style: .poison)
        }
        var lines = message.events.map { event in
            let clock = time.format(event) + "." + String(1000 + event.time.milliseconds).dropFirst()
            return paint("\(clock) \(format.format(event))", style: TerminalStyle(level: event.level))
        }
        lines += message.poisonLines.map {
            paint("line \($0.number) is not an event (\($0.error.code)): \(LogText.escaped($0.error.message))", style: .poison)
        }
        return lines.joined(separator: "\n")
    }

    private func paint(_ text: String, style: TerminalStyle) -> String {
        color ? "\(style.escape)\(text)\u{1B}[0m" : text
    }
}

/// ANSI colours by level.
enum TerminalStyle {
    case dim, plain, cyan, yellow, red, boldRed, poison

    init(level: Event.Level) {
        switch level {
        case .trace, .debug: self = .dim
        case .info: self = .plain
        case .notice: self = .cyan
        case .warning: self = .yellow
        case .error: self = .red
        case .critical: self = .boldRed
        }
    }

    var escape: String {
        switch self {
        case .dim: "\u{1B}[2m"
        case .plain: "\u{1B}[0m"
        case .cyan: "\u{1B}[36m"
        case .yellow: "\u{1B}[33m"
        case .red: "\u{1B}[31m"
        case .boldRed: "\u{1B}[1;31m"
        case .poison: "\u{1B}[35m"
        }
    }
}
