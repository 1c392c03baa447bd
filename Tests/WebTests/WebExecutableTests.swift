import BeaconEvents
import BeaconOutbox
import Foundation
import IntegrationSupport
import SystemPackage
import Testing

/// The `web` executable as an operator runs it.
@Suite struct WebExecutableTests {
    @Test(
        arguments: [
            (["BEACON_PORT": "http"], [], "web: error: BEACON_PORT: 'http' is not a port number (0-65535)\n"),
            ([:], ["--port", "99999"], "web: error: --port: '99999' is not a port number (0-65535)\n"),
            (
                ["BEACON_EVENT_LEVEL": "loud"], [],
                "web: error: BEACON_EVENT_LEVEL: 'loud' is not a level (trace, debug, info, notice, warning, error, critical)\n"
            ),
            ([:], ["--amqp-url", "redis://x:pw@y/"], nil),
            ([:], ["--bogus"], "web: error: Unknown option '--bogus'\n"),
        ] as [([String: String], [String], String?)]
    )
    func badConfigurationIsOneLineAndStatus2(environment: [String: String], arguments: [String], expected: String?) async throws {
        let (status, stderr) = try await WebProcess.runToCompletion(environment: environment, arguments: arguments)
        #expect(status == 2)
        #expect(stderr.filter { $0 == "\n" }.count == 1, "one line: \(stderr)")
        #expect(stderr.hasPrefix("web: error: "))
        #expect(!stderr.contains("pw@"), "no password")
        if let expected { #expect(stderr == expected) }
    }

    @Test func withoutABrokerItServesSpoolsAndWarnsOnce() async throws {
        let spool = try TestServices.temporaryDirectory()
        let web = try WebProcess(environment: [
            "AMQP_URL": "amqp://guest:guest@127.0.0.1:\(try TestServices.freePort())/%2F",
            "BEACON_SPOOL_DIR": spool.path,
        ])
        #expect(await web.waitUntilServing(), "\(web.standardError)")
        for _ in 0..<20 {
            #expect(try web.get("/hello") == "Hello, world!\n")
        }
        #expect(try web.get("/boom").contains("\"status\":500"))
        let health = try web.get("/healthz")
        #expect(health.contains("\"spooling\":true"), "\(health)")
        #expect(try await eventually { try web.get("/metrics").contains("beacon_outbox_events_spooled_total") })
        let metrics = try web.get("/metrics")
        #expect(metrics.contains(#"beacon_http_requests_total{method="GET",route="/hello",status="200"} 20"#))
        #expect(metrics.contains("beacon_http_request_duration_seconds_bucket{"))
        #expect(metrics.contains("beacon_outbox_buffer_events"))
        #expect(await web.stop() == 0)

        let lines = web.standardError.split(separator: "\n")
        let warnings = lines.filter { $0.contains(" warning ") || $0.contains(" error beacon.") }
        #expect(warnings.count == 1, "one warning, not one per request:\n\(web.standardError)")
        #expect(warnings.first?.contains("spooling") == true)
        #expect(lines.filter { $0.contains(" info web: GET /hello 200 ") }.count == 20, "one line per request")
        // Every request event, the error event, and the server's own log events wait in the spool for the broker.
        let spooled = try EventSpool(directory: FilePath(spool.path)).statistics.records
        #expect(spooled >= 22, "\(spooled) events in the spool")
    }
}
