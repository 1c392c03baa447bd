import BeaconAMQP
import Foundation
import IntegrationSupport
import Logging
import Testing

/// amqps:// against the test broker, with TLS listeners the test adds to it at run time (certificates made here with
/// the openssl command line, signed by a throwaway CA) and removes afterwards.
@Suite("TLS")
struct TLSTests {
    @Test("verifies the broker against the given CA and round-trips a message; refuses unknown CAs and wrong names")
    func verification() async throws {
        try await TLSListeners.with { listeners in
            // The right CA and a certificate naming 127.0.0.1: connected, over TLS.
            try await AMQPConnection.withConnection(
                configuration: AMQPConfiguration(
                    url: "amqps://guest:guest@127.0.0.1:\(listeners.goodPort)/%2F?cacertfile=\(listeners.caFile)&connection_timeout=5000"
                ),
                logger: Logger(label: "test")
            ) { connection in
                let channel = try await connection.openChannel()
                let queue = try await channel.declare(AMQPQueue("", durable: false, exclusive: true))
                #expect(await channel.publish(AMQPMessage(exchange: "", routingKey: queue.name, text: "over TLS")) == .confirmed)
                #expect(try await channel.get(queue: queue.name)?.text == "over TLS")
                await connection.close()

                // No CA given: the system bundle does not know the test CA.
                let unknownCA = try await #require(throws: AMQPError.self) {
                    try await AMQPConnection.withConnection(
                        configuration: AMQPConfiguration(url: "amqps://guest:guest@127.0.0.1:\(listeners.goodPort)/%2F?connection_timeout=5000"),
                        logger: Logger(label: "test")
                    ) { _ in }
                }
                #expect(unknownCA.code == .tls, "\(unknownCA)")

                // The right CA, but the certificate names another host.
                let wrongName = try await #require(throws: AMQPError.self) {
                    try await AMQPConnection.withConnection(
                        configuration: AMQPConfiguration(
                            url: "amqps://guest:guest@127.0.0.1:\(listeners.wrongNamePort)/%2F?cacertfile=\(listeners.caFile)&connection_timeout=5000"
                        ),
                        logger: Logger(label: "test")
                    ) { _ in }
                }
                #expect(wrongName.code == .tls, "\(wrongName)")

                // Verification off (tests only): connects despite both.
                try await AMQPConnection.withConnection(
                    configuration: AMQPConfiguration(
                        url: "amqps://guest:guest@127.0.0.1:\(listeners.wrongNamePort)/%2F?verify=verify_none&connection_timeout=5000"
                    ),
                    logger: Logger(label: "test")
                ) { unverified in
                    #expect(unverified.status == .connected)
                    await unverified.close()
                }
            }
        }
    }
}

/// Two TLS listeners on the test broker: one with a certificate for 127.0.0.1, one for another name.
private struct TLSListeners {
    let caFile: String
    let goodPort: Int
    let wrongNamePort: Int

    static func with(_ body: (TLSListeners) async throws -> Void) async throws {
        _ = try TestServices.amqpURL()
        let rabbitmqctl = try #require(ProcessInfo.processInfo.environment["BEACON_TEST_RABBITMQCTL"])
        let directory = try TestServices.temporaryDirectory("tls")
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        func openssl(_ arguments: String...) async throws { try await ExternalCommand.run("openssl", arguments) }

        try await openssl(
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            path("ca.key"),
            "-out",
            path("ca.pem"),
            "-days",
            "2",
            "-subj",
            "/CN=Beacon test CA"
        )
        for (name, names) in [("good", "DNS:127.0.0.1,IP:127.0.0.1,DNS:localhost"), ("wrong", "DNS:beacon.invalid")] {
            try await openssl(
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                path("\(name).key"),
                "-out",
                path("\(name).csr"),
                "-subj",
                "/CN=\(name)"
            )
            try "subjectAltName=\(names)\n".write(toFile: path("\(name).ext"), atomically: true, encoding: .utf8)
            try await openssl(
                "x509",
                "-req",
                "-in",
                path("\(name).csr"),
                "-CA",
                path("ca.pem"),
                "-CAkey",
                path("ca.key"),
                "-CAcreateserial",
                "-out",
                path("\(name).pem"),
                "-days",
                "2",
                "-extfile",
                path("\(name).ext")
            )
        }
        let ports = try await offThePool { (try TestServices.freePort(), try TestServices.freePort()) }
        func listener(_ port: Int, _ name: String) -> String {
            "{\"127.0.0.1\", \(port)}, [{cacertfile, \"\(path("ca.pem"))\"}, {certfile, \"\(path("\(name).pem"))\"}, {keyfile, \"\(path("\(name).key"))\"}]"
        }
        try await ExternalCommand.run(rabbitmqctl, ["eval", "rabbit_networking:start_ssl_listener(\(listener(ports.0, "good")), 1)."])
        try await ExternalCommand.run(rabbitmqctl, ["eval", "rabbit_networking:start_ssl_listener(\(listener(ports.1, "wrong")), 1)."])
        let listeners = TLSListeners(caFile: path("ca.pem"), goodPort: ports.0, wrongNamePort: ports.1)
        let stop = {
            for port in [ports.0, ports.1] {
                _ = try? await ExternalCommand.run(rabbitmqctl, ["eval", "rabbit_networking:stop_tcp_listener({\"127.0.0.1\", \(port)})."])
            }
        }
        do {
            try await body(listeners)
            await stop()
        } catch {
            await stop()
            throw error
        }
    }
}
