public import Logging
public import ServiceLifecycle
import UnixSignals

/// Runs a service until SIGTERM or SIGINT, then shuts it down gracefully (a `ServiceGroup`): how `worker run` and
/// `worker tail` run. A shutdown that takes longer than `gracePeriod` (say, the broker went away with batches in
/// hand) is cancelled: what was not acknowledged stays with the broker, which delivers it again.
func runUntilSignalled(_ service: some Service, logger: Logger, gracePeriod: Duration = .seconds(30)) async throws {
    var configuration = ServiceGroupConfiguration(
        services: [.init(service: service)],
        gracefulShutdownSignals: [.sigterm, .sigint],
        logger: logger
    )
    configuration.maximumGracefulShutdownDuration = gracePeriod
    try await ServiceGroup(configuration: configuration).run()
}
