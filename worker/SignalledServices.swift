public import Logging
public import ServiceLifecycle
import UnixSignals

/// Runs services until SIGTERM or SIGINT, then shuts them down gracefully (in reverse order) (a `ServiceGroup`): how `worker run` and
/// `worker tail` run. A shutdown that takes longer than `gracePeriod` (say, the broker went away with batches in
/// hand) is cancelled: what was not acknowledged stays with the broker, which delivers it again.
func runUntilSignalled(_ services: [any Service], logger: Logger, gracePeriod: Duration = .seconds(30)) async throws {
    var configuration = ServiceGroupConfiguration(
        services: services.map { .init(service: $0) },
        gracefulShutdownSignals: [.sigterm, .sigint],
        logger: logger
    )
    configuration.maximumGracefulShutdownDuration = gracePeriod
    try await ServiceGroup(configuration: configuration).run()
}
