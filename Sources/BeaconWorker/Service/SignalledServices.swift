import Logging
import ServiceLifecycle
import UnixSignals

/// Runs a service until SIGTERM or SIGINT, then shuts it down gracefully (a `ServiceGroup`): how `worker run` and
/// `worker tail` run.
public func runUntilSignalled(_ service: some Service, logger: Logger) async throws {
    let group = ServiceGroup(
        configuration: ServiceGroupConfiguration(
            services: [.init(service: service)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
    )
    try await group.run()
}
