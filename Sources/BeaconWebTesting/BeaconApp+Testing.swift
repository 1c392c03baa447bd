public import BeaconTesting
public import BeaconWeb
public import Hummingbird
public import HummingbirdTesting
import ServiceLifecycle

extension BeaconApp {
    /// Tests `router` as this app serves it, with HummingbirdTesting (`.router` by default, `.live` for a real
    /// server), running `events`' outbox beside it when given. When this returns, the app has stopped and the outbox
    /// has flushed: `events.transport` holds everything published.
    ///
    /// ```swift
    /// let events = try InMemoryEventPipeline()
    /// events.publisher.publishRequests(of: app)
    /// try await app.test(router, events: events) { client in
    ///     try await client.execute(uri: "/hello", method: .get) { response in #expect(response.status == .ok) }
    /// }
    /// #expect(events.transport.events(kind: .request).count == 1)
    /// ```
    public func test<Context: BeaconRequestContext, Value>(
        _ router: Router<Context>,
        events: InMemoryEventPipeline? = nil,
        setup: TestingSetup = .router,
        _ test: @Sendable (any TestClientProtocol) async throws -> Value
    ) async throws -> Value where Context.Source == ApplicationRequestContextSource {
        let application = application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            services: events?.services ?? []
        )
        return try await application.test(setup, test)
    }
}
