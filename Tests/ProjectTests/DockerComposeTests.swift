import Foundation
import Testing
import Yams

/// No Docker engine runs where the tests run, so docker-compose.yml and the Dockerfile are checked by reading them.
@Suite struct DockerComposeTests {
    let compose: [String: Any]
    let services: [String: [String: Any]]

    init() throws {
        let text = try String(contentsOf: projectFile("docker-compose.yml"), encoding: .utf8)
        compose = try #require(try Yams.load(yaml: text) as? [String: Any])
        services = try #require(compose["services"] as? [String: [String: Any]])
    }

    @Test func declaresTheFourServices() {
        #expect(Set(services.keys) == ["rabbitmq", "mailpit", "web", "worker"])
    }

    @Test func brokerHasManagementUIHealthcheckAndNoGuestLogin() throws {
        let rabbitmq = try #require(services["rabbitmq"])
        #expect((rabbitmq["image"] as? String)?.hasPrefix("rabbitmq:3-management") == true)
        let ports = try #require(rabbitmq["ports"] as? [String])
        #expect(ports.contains("5672:5672"))
        #expect(ports.contains("15672:15672"))
        let healthcheck = try #require(rabbitmq["healthcheck"] as? [String: Any])
        #expect(healthcheck["test"] != nil)
        let environment = try #require(rabbitmq["environment"] as? [String: Any])
        let user = try #require(environment["RABBITMQ_DEFAULT_USER"] as? String)
        let password = try #require(environment["RABBITMQ_DEFAULT_PASS"] as? String)
        #expect(user.hasPrefix("${"), "the broker login comes from the environment")
        #expect(password.hasPrefix("${"), "the broker password comes from the environment")
        #expect(!user.contains("guest") && !password.contains("guest"))
    }

    @Test func mailpitServesSMTPAndItsUI() throws {
        let ports = try #require(services["mailpit"]?["ports"] as? [String])
        #expect(ports.contains("1025:1025"))
        #expect(ports.contains("8025:8025"))
    }

    @Test(arguments: ["web", "worker"])
    func programIsBuiltFromTheDockerfileAndWaitsForAHealthyBroker(name: String) throws {
        let service = try #require(services[name])
        let build = try #require(service["build"] as? [String: Any])
        #expect(build["target"] as? String == name)
        let dependsOn = try #require(service["depends_on"] as? [String: [String: Any]])
        #expect(dependsOn["rabbitmq"]?["condition"] as? String == "service_healthy")
        let environment = try #require(service["environment"] as? [String: Any])
        let url = try #require(environment["AMQP_URL"] as? String)
        #expect(url.hasPrefix("amqp://") && url.contains("@rabbitmq:5672/"))
    }

    @Test func webListensOnAllInterfacesInItsContainer() throws {
        let web = try #require(services["web"])
        #expect((web["ports"] as? [String])?.contains("8080:8080") == true)
        #expect((web["environment"] as? [String: Any])?["BEACON_HOST"] as? String == "0.0.0.0")
    }

    @Test func dockerfileBuildsWithSwiftAndRunsOnASlimImageWithTheCLibraries() throws {
        let dockerfile = try String(contentsOf: projectFile("Dockerfile"), encoding: .utf8)
        let stages = dockerfile.split(separator: "\n").filter { $0.hasPrefix("FROM ") }
        #expect(stages.count >= 3)
        #expect(stages.first?.contains("swift:") == true)
        #expect(dockerfile.contains("AS web"))
        #expect(dockerfile.contains("AS worker"))
        #expect(dockerfile.contains("librabbitmq4"))
        #expect(dockerfile.contains("libcurl4"))
        #expect(dockerfile.contains("-slim"))
    }
}

/// A file at the top of the package, found from this source file's path.
func projectFile(_ name: String, file: StaticString = #filePath) -> URL {
    URL(fileURLWithPath: "\(file)")
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent(name)
}
