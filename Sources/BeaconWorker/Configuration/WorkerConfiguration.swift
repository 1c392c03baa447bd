import BeaconEvents

/// Everything the worker needs to know: the broker, its queues and the sinks they feed.
///
/// Settings come from, in order of precedence, command-line flags, the environment, `worker/worker.yaml` and the
/// defaults here (docs/Configuration.md). Build one with
/// ``load(overrides:environment:kinds:)``, which validates it and names the key of anything it rejects.
public struct WorkerConfiguration: Sendable {
    /// The broker and the queues' common settings.
    public var broker: Broker
    /// Where relative file-sink paths point (`BEACON_LOG_DIR`, `--log-dir`).
    public var logDirectory: String
    /// Where the worker keeps its journals and its lock; nil for `<logDirectory>/.worker`.
    public var stateDirectory: String?
    /// How redeliveries are recognised.
    public var dedupe: Dedupe
    /// The queues to consume, each feeding its sinks.
    public var queues: [Queue]
    /// The sinks, by name.
    public var sinks: [Sink]

    public init(
        broker: Broker = Broker(),
        logDirectory: String = "var/log",
        stateDirectory: String? = nil,
        dedupe: Dedupe = Dedupe(),
        queues: [Queue],
        sinks: [Sink]
    ) {
        self.broker = broker
        self.logDirectory = logDirectory
        self.stateDirectory = stateDirectory
        self.dedupe = dedupe
        self.queues = queues
        self.sinks = sinks
    }

    /// The directory of journals and the lock, resolved.
    public var resolvedStateDirectory: String { stateDirectory ?? logDirectory + "/.worker" }

    /// The sink called `name`.
    public func sink(named name: String) -> Sink? { sinks.first { $0.name == name } }
}

extension WorkerConfiguration {
    /// The broker, the exchange and what every queue shares.
    public struct Broker: Sendable {
        /// `amqp://user:password@host:port/vhost` (`AMQP_URL`, `--amqp-url`).
        public var url: String
        /// The topic exchange the events arrive on (`BEACON_EXCHANGE`).
        public var exchange: String
        /// Classic queues, or quorum queues for a replicated cluster.
        public var queueType: QueueType
        /// How many unacknowledged messages the broker may hand each consumer: it bounds the worker's memory and is
        /// the largest batch a sink writes at once.
        public var prefetch: Int
        /// Messages larger than this are poison.
        public var maxMessageBytes: Int
        /// Where poison messages and events out of retries go.
        public var deadLetterQueue: String

        public init(
            url: String = "amqp://guest:guest@127.0.0.1:5672/%2F",
            exchange: String = "events",
            queueType: QueueType = .classic,
            prefetch: Int = 1000,
            maxMessageBytes: Int = 1 << 20,
            deadLetterQueue: String = "worker.dead"
        ) {
            self.url = url
            self.exchange = exchange
            self.queueType = queueType
            self.prefetch = prefetch
            self.maxMessageBytes = maxMessageBytes
            self.deadLetterQueue = deadLetterQueue
        }
    }

    /// The kind of the worker's queues (RabbitMQ's `x-queue-type`).
    public enum QueueType: String, Sendable, CaseIterable {
        case classic
        case quorum
    }

    /// How long and how many event ids each sink remembers, so that a redelivered event is not written twice.
    public struct Dedupe: Sendable {
        /// Ids are remembered at least this long.
        public var window: Duration
        /// At most this many ids per sink are remembered (about 16 bytes of memory each).
        public var maxIDs: Int

        public init(window: Duration = .seconds(600), maxIDs: Int = 1_000_000) {
            self.window = window
            self.maxIDs = maxIDs
        }
    }

    /// A queue the worker consumes: its bindings on the exchange, its retry steps and the sinks it feeds.
    public struct Queue: Sendable {
        /// The queue's name, e.g. `worker.files`.
        public var name: String
        /// Binding patterns on the exchange, e.g. `#` or `*.*.error`.
        public var bindings: [TopicPattern]
        /// The delay before each retry; after the last one an event that still fails goes to the dead-letter queue.
        /// Each delay has a queue of its own, `<name>.retry.<delay>`.
        public var retryDelays: [Duration]
        /// The names of the sinks fed from this queue.
        public var sinks: [String]

        public init(name: String, bindings: [TopicPattern], retryDelays: [Duration], sinks: [String]) {
            self.name = name
            self.bindings = bindings
            self.retryDelays = retryDelays
            self.sinks = sinks
        }

        /// How many times an event is tried in all: once, then once per retry delay.
        public var maxAttempts: Int { retryDelays.count + 1 }

        /// The retry queue for a delay: `worker.mail.retry.30s`.
        public func retryQueueName(for delay: Duration) -> String { "\(name).retry.\(ConfigurationText.text(delay))" }
    }

    /// A sink: where events go, and which of them.
    public struct Sink: Sendable {
        /// The name `worker.yaml` gives it (also its journal's name).
        public var name: String
        /// The lowest level and the routing keys it takes.
        public var filter: EventFilter
        /// Its kind and the kind's settings.
        public var kind: Kind

        public init(name: String, filter: EventFilter = EventFilter(), kind: Kind) {
            self.name = name
            self.filter = filter
            self.kind = kind
        }

        /// A sink kind with a sink's settings: what the sink does with its events.
        public struct Kind: Sendable {
            /// The kind's name, as `type:` gives it in `worker.yaml`.
            public let name: String
            /// The settings the kind read (a ``FileSinkConfiguration`` for a `file` sink, …).
            public let settings: any Sendable
            private let make: @Sendable (SinkContext) throws(SinkError) -> any EventSink

            /// A sink of `kind` with `settings`.
            public init<K: SinkKind>(_ kind: K, settings: K.Settings) {
                self.name = kind.name
                self.settings = settings
                make = { context throws(SinkError) in try kind.makeSink(settings: settings, context: context) }
            }

            /// A rotating log file.
            public static func file(_ settings: FileSinkConfiguration) -> Kind { Kind(FileSinkKind(), settings: settings) }

            /// Syslog.
            public static func syslog(_ settings: SyslogSinkConfiguration) -> Kind { Kind(SyslogSinkKind(), settings: settings) }

            /// Error mail.
            public static func mail(_ settings: MailSinkConfiguration) -> Kind { Kind(MailSinkKind(), settings: settings) }

            /// Builds the sink, on its pipeline's thread.
            func makeSink(_ context: SinkContext) throws(SinkError) -> any EventSink { try make(context) }
        }
    }
}
