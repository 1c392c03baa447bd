// swift-tools-version:6.2

import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "beacon",
    // Linux only: the AMQP client, the spool and the worker's sinks are written against Glibc (epoll-free poll(2),
    // fdatasync, syslog, pipe-based wake-ups) and are built and tested on Debian; no Apple platform is claimed.
    products: [
        .library(name: "Beacon", targets: ["Beacon"]),
        .library(name: "BeaconEvents", targets: ["BeaconEvents"]),
        .library(name: "BeaconAMQP", targets: ["BeaconAMQP"]),
        .library(name: "BeaconOutbox", targets: ["BeaconOutbox"]),
        .library(name: "BeaconOutboxAMQP", targets: ["BeaconOutboxAMQP"]),
        .library(name: "BeaconLogging", targets: ["BeaconLogging"]),
        .library(name: "BeaconWeb", targets: ["BeaconWeb"]),
        .library(name: "BeaconWorker", targets: ["BeaconWorker"]),
        .library(name: "BeaconTasks", targets: ["BeaconTasks"]),
        .library(name: "BeaconTesting", targets: ["BeaconTesting"]),
        .library(name: "BeaconWebTesting", targets: ["BeaconWebTesting"]),
        .executable(name: "web", targets: ["web"]),
        .executable(name: "worker", targets: ["worker"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.7.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.3.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.0"),
    ],
    targets: [
        // MARK: Internal: Synchronization's Mutex, made visible to ThreadSanitizer in `make test-tsan`'s build.
        .target(name: "BeaconSynchronization", swiftSettings: swiftSettings),
        // MARK: Internal: files written with plain write(2), and the calls SystemPackage lacks (worker sinks, task journal).
        .target(
            name: "BeaconFileSystem",
            dependencies: [.product(name: "SystemPackage", package: "swift-system")],
            swiftSettings: swiftSettings
        ),

        // MARK: Signals — no dependencies beyond the standard library and Synchronization.
        .target(name: "Beacon", dependencies: ["BeaconSynchronization"], swiftSettings: swiftSettings),

        // MARK: The event schema, shared by every producer and consumer.
        .target(name: "BeaconEvents", swiftSettings: swiftSettings),

        // MARK: AMQP 0-9-1 over rabbitmq-c.
        .systemLibrary(
            name: "CRabbitMQ",
            pkgConfig: "librabbitmq",
            providers: [.apt(["librabbitmq-dev"])]
        ),
        .target(name: "CAMQPShim", dependencies: ["CRabbitMQ"]),
        .target(
            name: "BeaconAMQP",
            dependencies: [
                "CRabbitMQ",
                "CAMQPShim",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Reliable delivery: a bounded buffer, a disk spool while the transport is away, the transport protocol.
        // No AMQP here: a service with another transport, and every user's unit tests, build without rabbitmq-c.
        .target(
            name: "BeaconOutbox",
            dependencies: [
                "BeaconEvents",
                "BeaconSynchronization",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: The outbox's transport to RabbitMQ.
        .target(
            name: "BeaconOutboxAMQP",
            dependencies: [
                "BeaconAMQP",
                "BeaconEvents",
                "BeaconLogging",
                "BeaconOutbox",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Events from any Swift producer: the publisher, swift-log handlers, the pipeline.
        .target(
            name: "BeaconLogging",
            dependencies: [
                "BeaconEvents",
                "BeaconOutbox",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: SMTP through libcurl.
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .target(name: "CCurlShim", dependencies: ["CCurl"]),

        // MARK: The web server: Flask's request model on Hummingbird. No AMQP: the program wires the broker.
        .target(
            name: "BeaconWeb",
            dependencies: [
                "Beacon",
                "BeaconEvents",
                "BeaconLogging",
                "BeaconOutbox",
                "BeaconTasksCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "web",
            dependencies: [
                "BeaconAMQP",
                "BeaconEvents",
                "BeaconLogging",
                "BeaconOutbox",
                "BeaconOutboxAMQP",
                "BeaconTasks",
                "BeaconWeb",
                "ShopDemo",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: The worker.
        .target(
            name: "BeaconWorker",
            dependencies: [
                "BeaconEvents",
                "BeaconAMQP",
                "BeaconFileSystem",
                "CCurl",
                "CCurlShim",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        // The bundled worker: the library's WorkerService with the stock sinks, plus the commands (tail, dead,
        // topology) and what only a terminal needs.
        .executableTarget(
            name: "worker",
            dependencies: [
                "BeaconAMQP",
                "BeaconEvents",
                "BeaconTasks",
                "BeaconWorker",
                "ShopDemo",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            path: "worker",
            exclude: ["worker.yaml", "templates"],
            swiftSettings: swiftSettings
        ),

        // MARK: Tasks: definitions, Celery protocol v2 on the wire, retry and delay plans (pure), and the client and
        // worker that enqueue and run them through RabbitMQ.
        // Tasks without a broker: definitions, options, results, the enqueuer protocol (for routes and BeaconTesting).
        .target(name: "BeaconTasksCore", dependencies: ["BeaconEvents"], swiftSettings: swiftSettings),
        .target(
            name: "BeaconTasks",
            dependencies: [
                "BeaconAMQP",
                "BeaconEvents",
                "BeaconFileSystem",
                "BeaconTasksCore",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: The demo's contract, shared by the bundled web and worker: its tasks and the order's validation.
        .target(name: "ShopDemo", dependencies: ["BeaconTasksCore"], swiftSettings: swiftSettings),

        // MARK: Helpers for users' tests: any producer (no Hummingbird), and web apps.
        .target(
            name: "BeaconTesting",
            dependencies: [
                "BeaconEvents",
                "BeaconLogging",
                "BeaconOutbox",
                "BeaconTasksCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "BeaconWebTesting",
            dependencies: [
                "Beacon",
                "BeaconTesting",
                "BeaconWeb",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Examples: a producer without HTTP (its job a library of its own, so that its tests need no broker).
        .target(
            name: "NightlyReport",
            dependencies: ["BeaconEvents", "BeaconLogging", .product(name: "Logging", package: "swift-log")],
            path: "Examples/NightlyReport/Report",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "nightly-report-example",
            dependencies: [
                "BeaconAMQP",
                "BeaconLogging",
                "BeaconOutbox",
                "BeaconOutboxAMQP",
                "NightlyReport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Examples/NightlyReport/Program",
            swiftSettings: swiftSettings
        ),

        // MARK: Examples: a worker of one's own, with a JSON-lines sink beside the stock sinks.
        .executableTarget(
            name: "custom-worker-example",
            dependencies: [
                "BeaconEvents",
                "BeaconWorker",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            path: "Examples/CustomWorker",
            exclude: ["worker.yaml"],
            swiftSettings: swiftSettings
        ),

        // MARK: Tests. Integration tests reach the broker and SMTP server that `make test` starts.
        .target(
            name: "IntegrationSupport",
            dependencies: ["BeaconEvents"],
            path: "Tests/IntegrationSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "BeaconTests", dependencies: ["Beacon", "BeaconSynchronization"], swiftSettings: swiftSettings),
        .testTarget(name: "BeaconEventsTests", dependencies: ["BeaconEvents", "IntegrationSupport"], swiftSettings: swiftSettings),
        // The outbox's state machine, buffer and spool without a broker: builds without rabbitmq-c.
        .testTarget(
            name: "BeaconOutboxTests",
            dependencies: [
                "BeaconEvents",
                "BeaconOutbox",
                "BeaconSynchronization",
                "IntegrationSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        // The outbox against the broker that `make test` starts.
        .testTarget(
            name: "BeaconOutboxAMQPTests",
            dependencies: [
                "BeaconAMQP",
                "BeaconEvents",
                "BeaconOutbox",
                "BeaconOutboxAMQP",
                "IntegrationSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BeaconAMQPTests",
            dependencies: [
                "BeaconAMQP",
                "IntegrationSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BeaconLoggingTests",
            dependencies: ["BeaconLogging", "IntegrationSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BeaconWebTests",
            dependencies: [
                "Beacon",
                "BeaconLogging",
                "BeaconTesting",
                "BeaconWeb",
                "BeaconWebTesting",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WebTests",
            dependencies: [
                "web",
                "BeaconAMQP",
                "BeaconOutboxAMQP",
                "BeaconTasksCore",
                "BeaconTesting",
                "BeaconWebTesting",
                "ShopDemo",
                "IntegrationSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BeaconTestingTests",
            dependencies: [
                "BeaconLogging",
                "BeaconTasksCore",
                "BeaconTesting",
                "BeaconWebTesting",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BeaconWorkerTests",
            dependencies: [
                "BeaconAMQP",
                "BeaconFileSystem",
                "BeaconTasks",
                "BeaconWorker",
                "IntegrationSupport",
                "ShopDemo",
                "worker",
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ExamplesTests",
            dependencies: [
                "custom-worker-example",
                "BeaconAMQP",
                "BeaconTesting",
                "IntegrationSupport",
                "NightlyReport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BeaconTasksTests",
            dependencies: [
                "BeaconAMQP",
                "BeaconEvents",
                "BeaconTasks",
                "IntegrationSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ProjectTests",
            dependencies: ["IntegrationSupport", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
    ]
)

// MARK: Benchmarks (package-benchmark). Kept out of the normal build: `BEACON_BENCHMARKS=1 swift package benchmark`,
// or `make bench`.
if Context.environment["BEACON_BENCHMARKS"] != nil {
    package.dependencies.append(
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.0", traits: ["MallocInterposer"])
    )
    // Each suite, the library it measures, and the files beside it that are not Swift (the Blinker twin).
    let suites: [(name: String, library: Target.Dependency, exclude: [String])] = [
        ("SignalBenchmarks", "Beacon", ["blinker_bench.py"]),
        ("EventBenchmarks", "BeaconEvents", []),
        ("AMQPBenchmarks", "BeaconAMQP", []),
        ("WorkerBenchmarks", "BeaconWorker", []),
    ]
    for suite in suites {
        package.targets.append(
            .executableTarget(
                name: suite.name,
                dependencies: [suite.library, .product(name: "Benchmark", package: "benchmark")],
                path: "Benchmarks/\(suite.name)",
                exclude: suite.exclude,
                swiftSettings: swiftSettings,
                plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
            )
        )
    }
    // BeaconTasks beside Celery 5.7 on one broker, for scripts/bench-tasks: a plain executable, no Benchmark.
    package.targets.append(
        .executableTarget(
            name: "TaskBenchmarks",
            dependencies: [
                "BeaconAMQP",
                "BeaconTasks",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            path: "Benchmarks/TaskBenchmarks",
            swiftSettings: swiftSettings
        )
    )
    // Hummingbird alone, for scripts/bench-web's ceiling.
    package.targets.append(
        .executableTarget(
            name: "BareHello",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/BareHello",
            swiftSettings: swiftSettings
        )
    )
}
