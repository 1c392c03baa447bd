import BeaconEvents
import Foundation
import IntegrationSupport
import Synchronization
import Testing

@testable import BeaconWorker

/// What a test's own sink kind was given.
final class MemoryStore: Sendable {
    private let events = Mutex<[Event]>([])
    /// The events the sinks of the kind were handed, in order.
    var written: [Event] { events.withLock { $0 } }
    func append(_ batch: [Event]) { events.withLock { $0 += batch } }
}

/// A sink that keeps its events in memory.
final class MemorySink: EventSink {
    let store: MemoryStore
    init(store: MemoryStore) { self.store = store }

    func write(_ events: [Event]) -> [SinkError?] {
        store.append(events)
        return Array(repeating: nil, count: events.count)
    }
}

/// `type: memory` with a required `label`; a label of `bad` is refused.
struct MemoryKind: SinkKind {
    let store = MemoryStore()
    var name: String { "memory" }
    var settingKeys: Set<String> { ["label"] }

    func settings(from yaml: SinkSettings) throws(WorkerConfigurationError) -> String {
        guard let label = try yaml.string("label") else { throw yaml.missing("label") }
        guard label != "bad" else { throw yaml.error("label", "\"bad\" is not a label") }
        return label
    }

    func makeSink(settings: String, context: SinkContext) throws(SinkError) -> any EventSink { MemorySink(store: store) }
}

/// Sink kinds of one's own in `worker.yaml`, and the stock mail sink's defaults.
@Suite struct SinkKindTests {
    let configurations = ConfigurationTests()

    func yaml(_ sink: String) -> String {
        "queues:\n  q: {bindings: [\"#\"], sinks: [m]}\nsinks:\n  m:\n" + sink
    }

    @Test func aRegisteredKindReadsItsSettingsFromWorkerYAML() throws {
        let kinds = SinkKinds.standard.registering(MemoryKind())
        #expect(kinds.names == ["file", "syslog", "mail", "memory"])
        let configuration = try configurations.load(yaml("    type: memory\n    level: warning\n    label: audit\n"), kinds: kinds)
        let sink = try #require(configuration.sink(named: "m"))
        #expect(sink.kind.name == "memory")
        #expect(sink.kind.settings as? String == "audit")
        #expect(sink.filter == EventFilter(level: .warning))
    }

    @Test func registeringAKindOfTheSameNameReplacesIt() {
        let kinds = SinkKinds.standard.registering(MemoryKind()).registering(MemoryKind())
        #expect(kinds.names == ["file", "syslog", "mail", "memory"])
    }

    @Test func anUnknownKindIsNamedWithItsKeyLineAndTheKindsKnown() {
        let problem = configurations.error(yaml("    type: memory\n    label: audit\n"))
        #expect(problem?.key == "sinks.m.type")
        #expect(problem?.location?.hasSuffix("worker.yaml:5") == true, "\(String(describing: problem))")
        #expect(problem?.message.contains("\"memory\" is not a sink kind") == true, "\(String(describing: problem))")
        #expect(problem?.message.contains("known: file, syslog, mail") == true, "\(String(describing: problem))")
    }

    @Test(arguments: [
        ("    type: memory\n    label: bad\n", "sinks.m.label", WorkerConfigurationError.Code.invalidValue, "not a label"),
        ("    type: memory\n", "sinks.m", .missingKey, "needs label"),
        ("    type: memory\n    label: a\n    colour: red\n", "sinks.m.colour", .unknownKey, "expected one of: label, level, match, type"),
    ])
    func aBadSettingOfARegisteredKindIsNamed(sink: String, key: String, code: WorkerConfigurationError.Code, message: String) {
        let problem = configurations.error(yaml(sink), kinds: SinkKinds.standard.registering(MemoryKind()))
        #expect(problem?.key == key, "\(String(describing: problem))")
        #expect(problem?.code == code, "\(String(describing: problem))")
        #expect(problem?.location?.contains("worker.yaml:") == true, "\(String(describing: problem))")
        #expect(problem?.message.contains(message) == true, "\(String(describing: problem))")
    }

    /// A failing request makes an error event and a request summary at level error: only the first is mailed.
    @Test func theMailSinkTakesTheErrorEventNotTheFailedRequestsSummary() throws {
        let mail = try #require(try configurations.load("").sink(named: "mail"))
        let error = Fixtures.event("Exception on /boom [GET]", level: .error, kind: .error)
        let request = Fixtures.event("GET /boom 500", level: .error, kind: .request)
        let errorLine = Fixtures.event("payment failed", level: .critical, kind: .log)
        let warningLine = Fixtures.event("slow", level: .warning, kind: .log)
        #expect(mail.filter.accepts(error))
        #expect(!mail.filter.accepts(request))
        #expect(mail.filter.accepts(errorLine))
        #expect(!mail.filter.accepts(warningLine))
        let queue = try #require(try configurations.load("").queues.first { $0.sinks == ["mail"] })
        #expect(!queue.bindings.contains { $0.matches(request.routingKey) }, "the summary does not even reach the mail queue")
        #expect(queue.bindings.contains { $0.matches(error.routingKey) } && queue.bindings.contains { $0.matches(errorLine.routingKey) })
    }
}

/// A sink of one's own in a running worker, on the test broker.
@Suite struct CustomSinkPipelineTests {
    /// The pipeline, not the sink, keeps the journal: a redelivery, even after a restart, is not handed over twice.
    @Test func aRegisteredSinkIsHandedEachEventOnceEvenAfterARestart() async throws {
        var world = try TestWorld()
        let kind = MemoryKind()
        world.configuration.queues[0].sinks = ["memory"]
        world.configuration.sinks = [.init(name: "memory", filter: EventFilter(level: .info), kind: .init(kind, settings: "test"))]
        try await TestBroker.with { broker in
            let event = Fixtures.event("only once")
            var worker = try await world.startWorker(broker: broker)
            try await broker.publish([event, event, Fixtures.event("below the level", level: .debug)], to: world)
            #expect(await eventually { (try? await broker.ready(world.filesQueue)) == 0 && kind.store.written.count == 1 })
            try await worker.stop()

            worker = try await world.startWorker(broker: broker)
            let another = Fixtures.event("another")
            try await broker.publish([event, another], to: world)
            #expect(await eventually { kind.store.written.count == 2 })
            try await worker.stop()
            #expect(kind.store.written.map(\.id) == [event.id, another.id])
            #expect(worker.statistics.snapshot[.duplicates] == 1)
        }
    }
}
