import ArgumentParser
import BeaconEvents
import BeaconWeb
import Foundation

/// `web`: Beacon's web server, with demo routes. Settings per docs/Configuration.md: flags over environment over defaults.
@main
struct WebCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "web",
        abstract: "Beacon's web server: Flask's request signals on Hummingbird, every request and error published as an event.",
        discussion: """
            Routes: GET /hello, GET /boom (throws), POST /echo (JSON), GET /healthz, GET /metrics.

            Environment (flags win): AMQP_URL, BEACON_EXCHANGE (events), BEACON_HOST (127.0.0.1), BEACON_PORT (8080), \
            BEACON_SERVICE (web), BEACON_EVENT_LEVEL (info), BEACON_SPOOL_DIR (var/spool/web), BEACON_DEBUG (false), \
            BEACON_EVENTS (on).

            Logs go to standard error. SIGINT or SIGTERM stop the server gracefully: requests in flight finish, then \
            the events are flushed to the broker (or spooled for the next run).
            """
    )

    @Option(name: .customLong("amqp-url"), help: "The broker (AMQP_URL; default amqp://guest:guest@127.0.0.1:5672/%2F).")
    var amqpURL: String?

    @Option(help: "The address to listen on (BEACON_HOST; default 127.0.0.1).")
    var host: String?

    @Option(help: "The port to listen on, 0 for any free one (BEACON_PORT; default 8080).")
    var port: String?

    @Flag(name: .customLong("no-events"), help: "Run without the event pipeline: no broker, no outbox (BEACON_EVENTS=off).")
    var noEvents = false

    /// Parses and runs; every failure becomes one line on standard error, with exit status 2 for bad flags or
    /// settings and 1 for a failure while running.
    static func main() async {
        do {
            let command = try parse()
            try await command.run()
        } catch let error as WebConfigurationError {
            fail("\(error)", status: 2)
        } catch {
            let code = exitCode(for: error)
            guard code != .success, !(error is ExitCode) else { self.exit(withError: error) }  // --help, or an exit on purpose
            let message = self.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            fail(message, status: code == .validationFailure ? 2 : 1)
        }
    }

    private static func fail(_ message: String, status: Int32) -> Never {
        FileHandle.standardError.write(Data("web: error: \(LogText.escaped(message))\n".utf8))
        Foundation.exit(status)
    }

    func run() async throws {
        let settings = try WebConfiguration(
            flags: .init(amqpURL: amqpURL, host: host, port: port, noEvents: noEvents),
            environment: ProcessInfo.processInfo.environment
        )
        let server = try WebServer(settings: settings)
        try await server.run(server.demoRouter())
    }
}
