public import ArgumentParser
import BeaconWorker
import Foundation
import Logging

/// `worker`: consumes Beacon events from RabbitMQ into rotating log files, syslog and error mail.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Consumes Beacon events from RabbitMQ into rotating log files, syslog and error mail.",
        discussion: """
            Settings: flags > environment (AMQP_URL, BEACON_EXCHANGE, BEACON_WORKER_CONFIG, BEACON_LOG_DIR, SMTP_URL, \
            MAIL_FROM, MAIL_TO) > worker/worker.yaml > defaults. A bad setting exits with code 2.
            """,
        subcommands: [RunCommand.self, TailCommand.self, DeadCommand.self, TopologyCommand.self],
        defaultSubcommand: RunCommand.self
    )

    /// Parses and runs; a bad flag, like a bad setting, is one line on standard error and exit status 2 (ArgumentParser
    /// alone would print the usage and exit with 64). `--help` and the commands' own exit codes pass through.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            guard code == .validationFailure, !(error is ExitCode) else { exit(withError: error) }
            let message = self.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            FileHandle.standardError.write(Data("worker: error: \(message)\n".utf8))
            Foundation.exit(2)
        }
    }
}

/// The options every command shares.
struct SettingsOptions: ParsableArguments {
    @Option(name: .customLong("config"), help: "The worker.yaml to read (BEACON_WORKER_CONFIG; default worker/worker.yaml).")
    var configPath: String?

    @Option(name: .customLong("amqp-url"), help: "The broker, amqp://user:password@host:port/vhost (AMQP_URL).")
    var amqpURL: String?

    @Option(name: .customLong("log-dir"), help: "Where the log files go (BEACON_LOG_DIR; default var/log).")
    var logDirectory: String?

    @Option(name: .customLong("log-level"), help: "The worker's own logging on stderr: trace, debug, info, notice, warning, error.")
    var logLevel: Logger.Level = .info

    /// The worker.yaml in use: the flag, else BEACON_WORKER_CONFIG, else worker/worker.yaml.
    var resolvedConfigPath: String {
        configPath ?? ProcessInfo.processInfo.environment["BEACON_WORKER_CONFIG"] ?? "worker/worker.yaml"
    }

    /// Reads the settings; a bad one is reported on one line and the program exits with code 2.
    func load(prefetch: Int? = nil) throws -> WorkerConfiguration {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = logLevel
            return handler
        }
        do {
            return try WorkerConfiguration.load(
                overrides: .init(configPath: configPath, amqpURL: amqpURL, logDirectory: logDirectory, prefetch: prefetch)
            )
        } catch {
            FileHandle.standardError.write(Data("worker: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Runs `body`, turning an error into one line on stderr and exit code 1.
func reportingFailure<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        FileHandle.standardError.write(Data("worker: \(error)\n".utf8))
        throw ExitCode.failure
    }
}
