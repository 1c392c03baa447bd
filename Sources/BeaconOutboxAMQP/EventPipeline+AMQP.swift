public import BeaconAMQP
public import BeaconEvents
public import BeaconLogging
public import BeaconOutbox
public import Logging

extension EventPipeline {
    /// A pipeline to RabbitMQ: an outbox publishing to `exchange` over `connection` with confirms, spooling to
    /// `spool` while the broker is away.
    ///
    /// ``services`` starts with the connection, then the transport, then the outbox: run them in that order (a
    /// `ServiceGroup` stops them in reverse, so events are flushed before the connection closes). When the broker
    /// cannot be reached the process works anyway: events go to the spool (the outbox logs one warning, then one
    /// notice when the broker is back) and are delivered in order later. Nothing here connects yet.
    ///
    /// - Parameters:
    ///   - connection: a connection that is not running yet (the pipeline runs it); its topology should declare the
    ///     exchange (``AMQPEventTransport/topology(exchange:)``).
    ///   - logger: the outbox's logger; one whose records do not become events (a plain console handler).
    public static func amqp(
        connection: AMQPConnection,
        exchange: String,
        spool: EventSpool,
        service: String,
        minimumLevel: Event.Level = .info,
        configuration: EventOutbox.Configuration = .init(),
        logger: Logger
    ) throws(ServiceNameError) -> EventPipeline {
        let transport = AMQPEventTransport(connection: connection, exchange: exchange)
        let outbox = EventOutbox(transport: transport, spool: spool, configuration: configuration, logger: logger)
        return EventPipeline(
            outbox: outbox,
            publisher: try EventPublisher(outbox: outbox, service: service, minimumLevel: minimumLevel),
            transportServices: [connection, transport],
            transportStatus: { "\(connection.status)" }
        )
    }
}
