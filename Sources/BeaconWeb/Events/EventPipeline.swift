import BeaconAMQP
import BeaconEvents
import BeaconOutbox
import Logging
import SystemPackage

/// The way events leave the web process: an ``EventOutbox`` over a confirmed AMQP transport, with its disk spool.
///
/// Run ``outbox`` as a service beside the server (``BeaconApp/application(router:configuration:services:)``'s
/// `services`), and ``close()`` the pipeline once the service group has returned (the outbox has flushed by then).
public final class EventPipeline: Sendable {
    /// Where publishers put events.
    public let outbox: EventOutbox
    /// The broker connection, when the transport is AMQP.
    public let connection: AMQPConnection?

    /// A pipeline around an existing outbox (for instance one over an in-memory transport in tests).
    public init(outbox: EventOutbox, connection: AMQPConnection? = nil) {
        self.outbox = outbox
        self.connection = connection
    }

    /// Opens the spool and connects to the broker of `configuration`, declaring its exchange.
    ///
    /// Waits for the first connection attempt. When the broker cannot be reached, logs one notice and keeps
    /// connecting in the background; the server can start at once: events go to the spool (the outbox logs one
    /// warning when it starts spooling, one notice when the broker is back) and are delivered in order later.
    ///
    /// - Parameters:
    ///   - logHandler: makes the handlers of the pipeline's own loggers (`beacon.events`, `beacon.outbox`,
    ///     `beacon.amqp`): one that does not publish events, such as ``LineLogHandler/standardError(label:logLevel:)``.
    /// - Throws: ``ConfigurationError`` when the broker URL or the spool directory cannot be used.
    public static func connect(
        configuration: WebConfiguration,
        outboxConfiguration: EventOutbox.Configuration = .init(),
        logHandler: @escaping @Sendable (String) -> any LogHandler
    ) async throws(ConfigurationError) -> EventPipeline {
        let logger = Logger(label: "beacon.events", factory: logHandler)
        let spool: EventSpool
        do {
            spool = try EventSpool(directory: FilePath(configuration.spoolDirectory))
        } catch {
            throw ConfigurationError(
                .invalidValue,
                setting: "BEACON_SPOOL_DIR",
                "cannot use '\(configuration.spoolDirectory)' as the spool: \(error)"
            )
        }
        var amqpConfiguration: AMQPConfiguration
        do {
            amqpConfiguration = try AMQPConfiguration(url: configuration.amqpURL)
        } catch {
            throw ConfigurationError(.invalidAMQPURL, setting: "AMQP_URL", "\(error)")
        }
        amqpConfiguration.connectionName = "\(configuration.service)@\(ProcessIdentity.current.host)"
        let topology = AMQPEventTransport.topology(exchange: configuration.exchange)
        var amqpLogger = Logger(label: "beacon.amqp", factory: logHandler)
        // The outbox reports an unreachable broker (one warning, then one notice when it is back); the connection's
        // own warning would say it a second time.
        amqpLogger.logLevel = .error
        let connection: AMQPConnection
        do {
            connection = try AMQPConnection(configuration: amqpConfiguration, topology: topology, logger: amqpLogger)
        } catch {
            throw ConfigurationError(.invalidAMQPURL, setting: "AMQP_URL", "\(error)")
        }
        if case .disconnected(let error) = await firstAttempt(of: connection, timeout: amqpConfiguration.connectionTimeout) {
            logger.notice(
                "the event broker is not reachable yet: serving anyway, events are spooled until it is",
                metadata: ["broker": "\(amqpConfiguration.redactedURL)", "error": "\(error)", "spool": "\(configuration.spoolDirectory)"]
            )
        }
        let transport: AMQPEventTransport
        do {
            transport = try await AMQPEventTransport(connection: connection, exchange: configuration.exchange)
        } catch {
            await connection.close()
            throw ConfigurationError(.invalidAMQPURL, setting: "AMQP_URL", "cannot open a channel: \(error)")
        }
        let outbox = EventOutbox(
            transport: transport,
            spool: spool,
            configuration: outboxConfiguration,
            logger: Logger(label: "beacon.outbox", factory: logHandler)
        )
        return EventPipeline(outbox: outbox, connection: connection)
    }

    /// The status after the connection's first attempt: so that with a healthy broker the first events are published
    /// at once rather than spooled while it connects. Gives up waiting after `timeout` (and a second).
    private static func firstAttempt(of connection: AMQPConnection, timeout: Duration) async -> AMQPConnection.Status {
        await withTaskGroup(of: AMQPConnection.Status.self) { group in
            group.addTask {
                for await status in connection.statusUpdates() where status != .connecting {
                    return status
                }
                return connection.status
            }
            group.addTask {
                try? await Task.sleep(for: timeout + .seconds(1))
                return connection.status
            }
            let status = await group.next() ?? connection.status
            group.cancelAll()
            return status
        }
    }

    /// Closes the broker connection. Call it after the outbox has stopped.
    public func close() async {
        await connection?.close()
    }
}
