import ServiceLifecycle

/// Sends ``WebSignals/appStopping`` when graceful shutdown reaches it: after the HTTP server (which shuts down
/// before it) and before the services listed ahead of it (the event outbox).
struct AppLifecycleService: Service {
    let app: BeaconApp

    func run() async throws {
        let started = ContinuousClock.now
        // Returns when graceful shutdown reaches this service; throws when the group is cancelled instead, and then
        // nothing is sent: the app is not stopping in order.
        try await gracefulShutdown()
        await app.emit(app.signals.appStopping, AppStopping(uptime: .now - started))
    }
}
