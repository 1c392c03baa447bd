import BeaconEvents
import Testing

@testable import web

/// The configuration contract: flags over environment over defaults, one clear error for a bad value.
@Suite struct ConfigurationTests {
    @Test func defaults() throws {
        let settings = try WebConfiguration(environment: [:])
        #expect(settings == WebConfiguration())
        #expect(settings.amqpURL == "amqp://guest:guest@127.0.0.1:5672/%2F")
        #expect(settings.exchange == "events")
        #expect(settings.host == "127.0.0.1")
        #expect(settings.port == 8080)
        #expect(settings.service == "web")
        #expect(settings.eventLevel == .info)
        #expect(settings.spoolDirectory == "var/spool/web")
        #expect(settings.debug == false)
        #expect(settings.eventsEnabled)
    }

    @Test func environment() throws {
        let settings = try WebConfiguration(environment: [
            "AMQP_URL": "amqp://beacon:pw@10.0.0.5:5673/prod",
            "BEACON_EXCHANGE": "audit",
            "BEACON_HOST": "0.0.0.0",
            "BEACON_PORT": "9000",
            "BEACON_SERVICE": "shop-api",
            "BEACON_EVENT_LEVEL": "WARN",
            "BEACON_SPOOL_DIR": "/tmp/spool",
            "BEACON_DEBUG": "true",
            "BEACON_EVENTS": "off",
        ])
        #expect(settings.amqpURL == "amqp://beacon:pw@10.0.0.5:5673/prod")
        #expect(settings.exchange == "audit")
        #expect(settings.host == "0.0.0.0")
        #expect(settings.port == 9000)
        #expect(settings.service == "shop-api")
        #expect(settings.eventLevel == .warning)
        #expect(settings.spoolDirectory == "/tmp/spool")
        #expect(settings.debug)
        #expect(!settings.eventsEnabled)
    }

    @Test func flagsWinOverTheEnvironment() throws {
        let settings = try WebConfiguration(
            flags: .init(amqpURL: "amqp://127.0.0.1:1/%2F", host: "::1", port: "0", noEvents: true),
            environment: ["AMQP_URL": "amqp://elsewhere/", "BEACON_HOST": "10.1.1.1", "BEACON_PORT": "80", "BEACON_EVENTS": "on"]
        )
        #expect(settings.amqpURL == "amqp://127.0.0.1:1/%2F")
        #expect(settings.host == "::1")
        #expect(settings.port == 0)
        #expect(!settings.eventsEnabled)
    }

    @Test func emptyVariablesMeanDefaults() throws {
        #expect(try WebConfiguration(environment: ["BEACON_PORT": "", "AMQP_URL": ""]) == WebConfiguration())
    }

    @Test(
        arguments: [
            (["BEACON_PORT": "http"], "BEACON_PORT: 'http' is not a port number (0-65535)"),
            (["BEACON_PORT": "65536"], "BEACON_PORT: '65536' is not a port number (0-65535)"),
            (["BEACON_SERVICE": "web.api"], "BEACON_SERVICE: 'web.api' is not a service name (letters, digits, - and _, at most 64)"),
            (["BEACON_EVENT_LEVEL": "loud"], "BEACON_EVENT_LEVEL: 'loud' is not a level (trace, debug, info, notice, warning, error, critical)"),
            (["BEACON_DEBUG": "maybe"], "BEACON_DEBUG: 'maybe' is not a boolean (true/false, on/off, 1/0)"),
            (["BEACON_EXCHANGE": "two words"], "BEACON_EXCHANGE: 'two words' is not an exchange name (letters, digits, -, _, ., :)"),
            (["BEACON_HOST": "bad host"], "BEACON_HOST: 'bad host' is not a host name or address"),
        ] as [([String: String], String)]
    )
    func badValues(environment: [String: String], message: String) {
        #expect(throws: WebConfigurationError.self) { try WebConfiguration(environment: environment) }
        do {
            _ = try WebConfiguration(environment: environment)
        } catch {
            #expect(error.description == message)
            #expect(error.code == .invalidValue)
        }
    }

    @Test(arguments: [
        "http://user:hunter2@host/",
        // Unencoded delimiters in the password: malformed, and the error must not quote pieces of it.
        "amqp://user:hun/ter2@host/",
        "amqp://user:hun?ter2@host/",
        "amqp://user:hunter2:x/y@host:5672/",
        "amqp:/user:hunter2@host",
    ])
    func aBadBrokerURLIsNamedWithoutItsPassword(url: String) {
        do {
            _ = try WebConfiguration(flags: .init(amqpURL: url), environment: [:])
            Issue.record("accepted \(url)")
        } catch {
            #expect(error.code == .invalidAMQPURL)
            #expect(error.setting == "--amqp-url")
            for piece in ["hunter2", "hun", "ter2"] {
                #expect(!error.description.contains(piece), "\(error.description)")
            }
        }
    }
}
