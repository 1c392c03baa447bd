import Testing

@testable import BeaconAMQP

@Suite("Configuration from a URL")
struct ConfigurationTests {
    @Test("amqp:// with everything: decoded credentials, host, port, vhost and query")
    func fullURL() throws {
        let configuration = try AMQPConfiguration(
            url: "amqp://web%40beacon:p%40ss%3Aw%2Frd@rabbit.internal:5673/prod%2Fevents"
                + "?heartbeat=15&connection_timeout=2500&frame_max=65536&channel_max=64&connection_name=web%201"
        )
        #expect(configuration.user == "web@beacon")
        #expect(configuration.password == "p@ss:w/rd")
        #expect(configuration.host == "rabbit.internal")
        #expect(configuration.port == 5673)
        #expect(configuration.virtualHost == "prod/events")
        #expect(configuration.heartbeat == .seconds(15))
        #expect(configuration.connectionTimeout == .milliseconds(2500))
        #expect(configuration.frameMax == 65_536)
        #expect(configuration.channelMax == 64)
        #expect(configuration.connectionName == "web 1")
        #expect(configuration.tls == nil)
    }

    @Test("defaults: guest, localhost, 5672, vhost /")
    func defaults() throws {
        for url in ["amqp://", "amqp://localhost", "amqp://localhost/", "amqp://localhost/%2F"] {
            let configuration = try AMQPConfiguration(url: url)
            #expect(configuration.user == "guest", "\(url)")
            #expect(configuration.password == "guest", "\(url)")
            #expect(configuration.host == "localhost", "\(url)")
            #expect(configuration.port == 5672, "\(url)")
            #expect(configuration.virtualHost == "/", "\(url)")
        }
        #expect(try AMQPConfiguration(url: "amqp://h/staging").virtualHost == "staging")
        #expect(try AMQPConfiguration(url: "amqp://[::1]:5680").host == "::1")
        #expect(try AMQPConfiguration(url: "amqp://[::1]:5680").port == 5680)
        #expect(try AMQPConfiguration(url: "amqp://bob@h").password == "")
    }

    @Test("amqps:// verifies the broker by default; CA, certificate, key and verify come from the query")
    func tls() throws {
        let plain = try AMQPConfiguration(url: "amqps://broker.example")
        #expect(plain.port == 5671)
        #expect(plain.tls == AMQPConfiguration.TLS(verifyPeer: true, verifyHostname: true))

        let full = try AMQPConfiguration(
            url: "amqps://broker.example:5999/?cacertfile=%2Fetc%2Fbeacon%2Fca.pem&certfile=/etc/beacon/client.pem"
                + "&keyfile=/etc/beacon/client.key&server_name_indication=broker.example"
        )
        #expect(full.port == 5999)
        #expect(full.tls?.caCertificateFile == "/etc/beacon/ca.pem")
        #expect(full.tls?.certificateFile == "/etc/beacon/client.pem")
        #expect(full.tls?.keyFile == "/etc/beacon/client.key")
        #expect(full.tls?.verifyPeer == true)

        let unverified = try AMQPConfiguration(url: "amqps://broker.example?verify=verify_none")
        #expect(unverified.tls?.verifyPeer == false)
        #expect(unverified.tls?.verifyHostname == false)
    }

    @Test(
        "bad URLs fail with a clear INVALID_CONFIGURATION error that never shows the password",
        arguments: [
            ("http://u:s3cret@h", "unsupported scheme"),
            ("amqp://u:s3cret@h:99999", "port"),
            ("amqp://u:s3cret@h:5672/?heartbit=5", "unknown query parameter heartbit"),
            ("amqp://u:s3cret@h/?heartbeat=soon", "heartbeat=soon"),
            ("amqp://u:s3cret%zz@h", "bad percent-encoding in the password"),
            ("amqp://u:s3cret@h/?cacertfile=/ca.pem", "needs an amqps:// URL"),
            ("amqps://u:s3cret@h/?server_name_indication=other", "always uses the host"),
            ("amqp://u:s3cret@h/a/b", "one path segment"),
            ("amqp://u:s3cret@h/?frame_max=100", "frame_max"),
            ("amqps://u:s3cret@h/?certfile=/c.pem", "key file"),
        ]
    )
    func invalid(url: String, expected: String) {
        #expect {
            try AMQPConfiguration(url: url)
        } throws: { error in
            guard let error = error as? AMQPError else { return false }
            let text = "\(error)"
            return error.code == .invalidConfiguration && text.contains(expected) && !text.contains("s3cret")
        }
    }

    @Test("the password appears in no description, debug description, dump or redacted URL")
    func passwordNeverShown() throws {
        let configuration = try AMQPConfiguration(url: "amqp://alice:Tr0ub4dor%263@127.0.0.1:5672/%2F")
        #expect(configuration.password == "Tr0ub4dor&3")
        var dumped = ""
        dump(configuration, to: &dumped)
        for text in [configuration.description, configuration.debugDescription, configuration.redactedURL, dumped, "\(configuration)"] {
            #expect(!text.contains("Tr0ub4dor"), "\(text)")
            #expect(text.contains("alice") || text.contains("amqp"), "\(text)")
        }
        #expect(configuration.redactedURL == "amqp://alice@127.0.0.1:5672/%2F")
        #expect(dumped.contains("<redacted>"))
    }

    @Test("reconnect delays grow exponentially to the cap, with jitter taken off")
    func backoff() {
        var generator = SystemRandomNumberGenerator()
        let policy = AMQPReconnectPolicy(initialDelay: .milliseconds(100), maximumDelay: .seconds(5), multiplier: 2, jitter: 0.5)
        let exact = AMQPReconnectPolicy(initialDelay: .milliseconds(100), maximumDelay: .seconds(5), multiplier: 2, jitter: 0)
        #expect(exact.delay(attempt: 0, using: &generator) == .milliseconds(100))
        #expect(exact.delay(attempt: 3, using: &generator) == .milliseconds(800))
        #expect(exact.delay(attempt: 30, using: &generator) == .seconds(5))
        var seen = Set<Duration>()
        for _ in 0..<50 {
            let delay = policy.delay(attempt: 2, using: &generator)
            #expect(delay >= .milliseconds(200) && delay <= .milliseconds(400))
            seen.insert(delay)
        }
        #expect(seen.count > 1, "jitter varies the delay")
    }
}
