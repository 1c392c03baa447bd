import BeaconEvents
import Foundation
import IntegrationSupport
import Testing

@testable import BeaconWorker

@Suite struct ConfigurationTests {
    /// Writes a worker.yaml (and templates next to it) into a fresh folder and loads it.
    func load(
        _ yaml: String,
        environment: [String: String] = [:],
        overrides: WorkerConfiguration.Overrides = .init(),
        kinds: SinkKinds = .standard
    ) throws(WorkerConfigurationError)
        -> WorkerConfiguration
    {
        let directory = try! TestServices.temporaryDirectory()
        try! FileManager.default.createDirectory(at: directory.appendingPathComponent("templates"), withIntermediateDirectories: true)
        for name in ["error.mustache", "digest.mustache"] {
            try! FileManager.default.copyItem(
                at: Fixtures.packageRoot.appendingPathComponent("worker/templates/\(name)"),
                to: directory.appendingPathComponent("templates/\(name)")
            )
        }
        let path = directory.appendingPathComponent("worker.yaml").path
        try! yaml.write(toFile: path, atomically: true, encoding: .utf8)
        var overrides = overrides
        overrides.configPath = path
        return try WorkerConfiguration.load(overrides: overrides, environment: environment, kinds: kinds)
    }

    func error(
        _ yaml: String,
        environment: [String: String] = [:],
        overrides: WorkerConfiguration.Overrides = .init(),
        kinds: SinkKinds = .standard
    ) -> WorkerConfigurationError? {
        do {
            _ = try load(yaml, environment: environment, overrides: overrides, kinds: kinds)
            return nil
        } catch {
            return error
        }
    }

    @Test func theShippedWorkerYAMLSpellsOutTheDefaults() throws {
        let shipped = try WorkerConfiguration.load(overrides: .init(configPath: Fixtures.workerYAML), environment: [:])
        let defaults = try load("")
        #expect(shipped.broker.url == defaults.broker.url)
        #expect(shipped.broker.exchange == "events")
        #expect(shipped.broker.queueType == .classic)
        #expect(shipped.broker.prefetch == defaults.broker.prefetch)
        #expect(shipped.broker.maxMessageBytes == defaults.broker.maxMessageBytes)
        #expect(shipped.logDirectory == "var/log")
        #expect(shipped.queues.map(\.name) == ["worker.files", "worker.mail"])
        #expect(shipped.queues.map(\.bindings) == defaults.queues.map(\.bindings))
        #expect(shipped.queues.map(\.retryDelays) == defaults.queues.map(\.retryDelays))
        #expect(shipped.queues.map(\.sinks) == [["app.log", "errors.log"], ["mail"]])
        #expect(shipped.queues[1].bindings.map(\.text) == ["*.error.*", "*.log.error", "*.log.critical"])
        #expect(shipped.sinks.map(\.name) == defaults.sinks.map(\.name))
        #expect(shipped.sinks.map(\.filter) == defaults.sinks.map(\.filter))
        #expect(shipped.sinks.map(\.filter.level) == [.trace, .warning, .error])
        guard let app = shipped.sinks[0].kind.settings as? FileSinkConfiguration,
            let defaultApp = defaults.sinks[0].kind.settings as? FileSinkConfiguration
        else {
            Issue.record("app.log is not a file sink")
            return
        }
        #expect(app.format == LogFormat.beaconDefault)
        #expect(app.rotation == defaultApp.rotation)
        #expect(app.rotation == .size(maxBytes: 10 << 20, backupCount: 5))
        #expect(app.fsync == defaultApp.fsync)
        guard let mail = shipped.sinks[2].kind.settings as? MailSinkConfiguration,
            let defaultMail = defaults.sinks[2].kind.settings as? MailSinkConfiguration
        else {
            Issue.record("mail is not a mail sink")
            return
        }
        #expect(mail.smtp.url == defaultMail.smtp.url)
        #expect(mail.from == defaultMail.from && mail.to == defaultMail.to)
        #expect(mail.subject == defaultMail.subject)
        #expect(mail.body == defaultMail.body && mail.body.contains("Message type:"))
        #expect(mail.storm.window == defaultMail.storm.window)
        #expect(mail.storm.maxMailsPerMinute == defaultMail.storm.maxMailsPerMinute)
    }

    @Test func anUnknownKeyIsNamedWithItsLine() {
        let problem = error(
            """
            broker:
              exchange: events
            sinks:
              app.log:
                type: file
                path: app.log
                rotat: {max_bytes: 10}
            queues:
              worker.files: {bindings: ["#"], sinks: [app.log]}
            """
        )
        #expect(problem?.code == .unknownKey)
        #expect(problem?.key == "sinks.app.log.rotat")
        #expect(problem?.location?.hasSuffix("worker.yaml:7") == true)
        #expect(problem?.description.contains("expected one of:") == true)
    }

    /// Every mapping of worker.yaml refuses a key it does not have, naming it, its line and exactly the keys it has;
    /// a key of another sink kind is not one of a sink's.
    @Test(arguments: [
        ("colour: red\n", "colour", 1, "broker, dedupe, log_dir, queues, sinks, state_dir"),
        ("broker:\n  prefetcher: 10\n", "broker.prefetcher", 2, "dead_letter_queue, exchange, max_message_bytes, prefetch, queue_type, url"),
        ("dedupe:\n  size: 10\n", "dedupe.size", 2, "max_ids, window"),
        ("queues:\n  q:\n    sink: [a]\n", "queues.q.sink", 3, "bindings, retry, sinks"),
        (
            "sinks:\n  a:\n    type: file\n    path: a.log\n    facility: user\n", "sinks.a.facility", 5,
            "date_format, format, fsync, level, match, path, rotate, time_zone, type"
        ),
        (
            "sinks:\n  a:\n    type: file\n    path: a.log\n    rotate: {max_bytes: 10, every: 1}\n", "sinks.a.rotate.every", 5,
            "backup_count, interval, max_bytes, utc, when"
        ),
        ("sinks:\n  a:\n    type: syslog\n    path: a.log\n", "sinks.a.path", 4, "app_name, facility, format, level, match, transport, type"),
        (
            "sinks:\n  a:\n    type: mail\n    rotate: none\n", "sinks.a.rotate", 4,
            "digest_template, from, level, match, smtp, storm, subject, template, to, type"
        ),
        (
            "sinks:\n  a:\n    type: mail\n    smtp: {url: smtp://h, tls: on}\n", "sinks.a.smtp.tls", 4,
            "ca_file, connect_timeout, starttls, timeout, url"
        ),
        ("sinks:\n  a:\n    type: mail\n    storm: {max: 1}\n", "sinks.a.storm.max", 4, "max_per_minute, window"),
    ])
    func everyMappingNamesTheKeysItHas(yaml: String, key: String, line: Int, allowed: String) {
        let problem = error(yaml)
        #expect(problem?.code == .unknownKey)
        #expect(problem?.key == key)
        #expect(problem?.location?.hasSuffix("worker.yaml:\(line)") == true, "\(problem?.location ?? "no location")")
        #expect(problem?.message == "unknown key (expected one of: \(allowed))")
    }

    @Test(arguments: [
        ("broker:\n  prefetch: lots\n", "broker.prefetch", 2, "not a whole number"),
        ("broker:\n  queue_type: mirrored\n", "broker.queue_type", 2, "not one of: classic, quorum"),
        ("broker:\n  exchange: \"my events\"\n", "broker.exchange", 2, "not an exchange name"),
        ("broker:\n  url: http://example.com\n", "broker.url", 2, "amqp"),
        ("dedupe:\n  window: soon\n", "dedupe.window", 2, "not a duration"),
        ("queues:\n  worker.files:\n    bindings: [\"a..b\"]\n    sinks: [app.log]\n", "queues.worker.files.bindings.[0]", 3, "topic pattern"),
        (
            "sinks:\n  app.log:\n    type: file\n    path: app.log\n    rotate:\n      max_bytes: ten\n", "sinks.app.log.rotate.max_bytes", 6,
            "byte count"
        ),
        ("sinks:\n  app.log:\n    type: file\n    path: app.log\n    format: \"%(message\"\n", "sinks.app.log.format", 5, "without its ')'"),
        ("sinks:\n  app.log:\n    type: file\n    path: app.log\n    level: loud\n", "sinks.app.log.level", 5, "not a level"),
        ("sinks:\n  m:\n    type: mail\n    to: [\"ops@x\\r\\nBcc: evil@x\"]\n", "sinks.m.to.[0]", 4, "not a mail address"),
        ("sinks:\n  s:\n    type: syslog\n    transport: tcp://x:1\n", "sinks.s.transport", 4, "udp://"),
    ])
    func aBadValueIsNamedWithItsLine(yaml: String, key: String, line: Int, message: String) {
        let problem = error(yaml)
        #expect(problem?.key == key, "\(String(describing: problem))")
        #expect(problem?.location?.hasSuffix("worker.yaml:\(line)") == true, "\(String(describing: problem))")
        #expect(problem?.message.contains(message) == true, "\(String(describing: problem))")
    }

    @Test func aValueWhereASectionBelongsIsQuotedWithoutItsPassword() {
        let problem = error("broker: amqp://ops:hunter2@rabbit/\n")
        #expect(problem?.message.contains("expected a mapping") == true, "\(String(describing: problem))")
        #expect(problem?.description.contains("hunter2") == false, "\(String(describing: problem))")
    }

    @Test func invalidYAMLIsReportedWithItsLine() {
        let problem = error("broker:\n  url: [unclosed\n  exchange: events\n")
        #expect(problem?.code == .invalidYAML)
        #expect(problem?.location?.contains("worker.yaml:") == true)
    }

    @Test func aSinkNoQueueFeedsOrAQueueWithoutItsSinkIsAnError() {
        let unknown = error("queues:\n  worker.files: {bindings: [\"#\"], sinks: [nothing]}\n")
        #expect(unknown?.key == "queues.worker.files.sinks")
        #expect(unknown?.message.contains("no sink is called \"nothing\"") == true)
        let unfed = error("queues:\n  worker.files: {bindings: [\"#\"], sinks: [app.log]}\n")
        #expect(unfed?.key == "sinks.errors.log")
    }

    @Test func flagsBeatTheEnvironmentWhichBeatsTheFile() throws {
        let yaml = "broker:\n  url: amqp://file@127.0.0.1/\n  exchange: file-exchange\nlog_dir: file-logs\n"
        let fromFile = try load(yaml)
        #expect(fromFile.broker.url == "amqp://file@127.0.0.1/")
        #expect(fromFile.logDirectory == "file-logs")
        let environment = [
            "AMQP_URL": "amqp://environment:secret@127.0.0.1/", "BEACON_EXCHANGE": "environment-exchange", "BEACON_LOG_DIR": "environment-logs",
            "SMTP_URL": "smtps://mail.example.com:465", "MAIL_FROM": "worker@example.com", "MAIL_TO": "a@example.com, b@example.com",
        ]
        let fromEnvironment = try load(yaml, environment: environment)
        #expect(fromEnvironment.broker.url == "amqp://environment:secret@127.0.0.1/")
        #expect(fromEnvironment.broker.exchange == "environment-exchange")
        #expect(fromEnvironment.logDirectory == "environment-logs")
        guard let mail = fromEnvironment.sink(named: "mail")?.kind.settings as? MailSinkConfiguration else {
            Issue.record("no mail sink")
            return
        }
        #expect(mail.smtp.url == "smtps://mail.example.com:465")
        #expect(mail.from == "worker@example.com")
        #expect(mail.to == ["a@example.com", "b@example.com"])
        let fromFlags = try load(
            yaml,
            environment: environment,
            overrides: .init(amqpURL: "amqp://flag@127.0.0.1/", logDirectory: "flag-logs", prefetch: 7)
        )
        #expect(fromFlags.broker.url == "amqp://flag@127.0.0.1/")
        #expect(fromFlags.logDirectory == "flag-logs")
        #expect(fromFlags.broker.prefetch == 7)
        #expect(fromFlags.resolvedStateDirectory == "flag-logs/.worker")
    }

    @Test func aBadEnvironmentValueNamesTheVariableAndHidesThePassword() {
        let problem = error("", environment: ["AMQP_URL": "amqp://user:hunter2@127.0.0.1:99999/"])
        #expect(problem?.key == "AMQP_URL")
        #expect(problem?.location == nil)
        #expect(problem?.description.contains("hunter2") == false)
        #expect(error("", environment: ["SMTP_URL": "http://x"])?.key == "SMTP_URL")
        // A password with an unencoded '/': not taken for a URL whose host is the user name, and not shown.
        let slashed = error("", environment: ["SMTP_URL": "smtp://ops:hun/ter2@mail"])
        #expect(slashed?.key == "SMTP_URL")
        #expect(slashed?.description.contains("hun") == false, "\(String(describing: slashed))")
        let amqpSlashed = error("", environment: ["AMQP_URL": "amqp://ops:hun/ter2@rabbit/"])
        #expect(amqpSlashed?.key == "AMQP_URL")
        #expect(amqpSlashed?.description.contains("hun") == false, "\(String(describing: amqpSlashed))")
        #expect(error("", environment: ["MAIL_TO": "ops@localhost,not an address"])?.key == "MAIL_TO")
    }

    @Test func aConfigurationFileNamedButMissingIsAnError() {
        #expect(throws: WorkerConfigurationError.self) {
            try WorkerConfiguration.load(overrides: .init(configPath: "/nonexistent/worker.yaml"), environment: [:])
        }
        do {
            _ = try WorkerConfiguration.load(environment: ["BEACON_WORKER_CONFIG": "/nonexistent/worker.yaml"])
        } catch {
            #expect(error.key == "BEACON_WORKER_CONFIG")
        }
    }

    @Test func retryQueuesAreNamedAfterTheirDelay() throws {
        let configuration = try load("")
        let mail = try #require(configuration.queues.first { $0.name == "worker.mail" })
        #expect(
            mail.retryDelays.map(mail.retryQueueName) == [
                "worker.mail.retry.5s", "worker.mail.retry.30s", "worker.mail.retry.2m", "worker.mail.retry.10m",
            ]
        )
        #expect(mail.maxAttempts == 5)
    }

    @Test func timedRotationAndSyslogAreRead() throws {
        let configuration = try load(
            """
            queues:
              worker.files: {bindings: ["#"], sinks: [daily, syslog]}
            sinks:
              daily: {type: file, path: daily.log, rotate: {when: midnight, backup_count: 7, utc: true}, fsync: 2s}
              syslog: {type: syslog, level: warning, transport: "udp://127.0.0.1:5514", facility: local3}
            """
        )
        guard let daily = configuration.sink(named: "daily")?.kind.settings as? FileSinkConfiguration,
            let syslog = configuration.sink(named: "syslog")?.kind.settings as? SyslogSinkConfiguration
        else {
            Issue.record("sinks not read")
            return
        }
        #expect(daily.rotation == .timed(.init(unit: .midnight, interval: 1, backupCount: 7, utc: true)))
        #expect(daily.fsync == .interval(.seconds(2)))
        #expect(syslog.transport == .udp(host: "127.0.0.1", port: 5514))
        #expect(syslog.facility == .local3)
        #expect(configuration.sink(named: "syslog")?.filter.level == .warning)
    }
}

@Suite struct ConfigurationTextTests {
    @Test func readsAndWritesDurations() {
        #expect(ConfigurationText.duration("500ms") == .milliseconds(500))
        #expect(ConfigurationText.duration("5s") == .seconds(5))
        #expect(ConfigurationText.duration("2m") == .seconds(120))
        #expect(ConfigurationText.duration("1h") == .seconds(3600))
        #expect(ConfigurationText.duration("7") == .seconds(7))
        #expect(ConfigurationText.duration("-1s") == nil)
        #expect(ConfigurationText.duration("soon") == nil)
        #expect(ConfigurationText.text(.seconds(30)) == "30s")
        #expect(ConfigurationText.text(.seconds(120)) == "2m")
        #expect(ConfigurationText.text(.milliseconds(1500)) == "1500ms")
        #expect(ConfigurationText.byteCount("10MiB") == 10 << 20)
        #expect(ConfigurationText.byteCount("512KiB") == 512 << 10)
        #expect(ConfigurationText.byteCount("ten") == nil)
    }
}

@Suite struct TopicPatternTests {
    @Test(arguments: [
        ("#", "web.request.info", true), ("#", "", true), ("*.*.error", "web.error.error", true),
        ("*.*.error", "web.request.info", false), ("*.*.error", "a.b.c.error", false), ("web.#", "web", true),
        ("web.#", "web.a.b", true), ("#.error", "web.log.error", true), ("*.log.*", "web.log.warning", true),
        ("a.*.#.z", "a.b.z", true), ("a.*.#.z", "a.z", false),
    ])
    func matchesAsRabbitMQDoes(pattern: String, key: String, matches: Bool) throws {
        #expect(try #require(TopicPattern(pattern)).matches(key) == matches)
    }

    @Test func rejectsEmptyWords() {
        #expect(TopicPattern("") == nil)
        #expect(TopicPattern("a..b") == nil)
        #expect(TopicPattern(".a") == nil)
    }
}
