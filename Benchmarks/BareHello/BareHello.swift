import Foundation
import Hummingbird
import Logging

/// Hummingbird alone, serving what the `web` executable's `GET /hello` serves, with no middleware, logging or
/// metrics: the ceiling that scripts/bench-web measures Beacon's web server against. Listens on 127.0.0.1 at
/// `BEACON_PORT` (8080).
@main
struct BareHello {
    static func main() async throws {
        let port = ProcessInfo.processInfo.environment["BEACON_PORT"].flatMap(Int.init) ?? 8080
        let router = Router()
        router.get("hello") { _, _ in "Hello, world!\n" }
        var logger = Logger(label: "bare-hello")
        logger.logLevel = .warning
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: port), serverName: nil),
            logger: logger
        )
        try await app.runService()
    }
}
