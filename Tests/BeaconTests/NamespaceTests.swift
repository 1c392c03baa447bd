import Beacon
import Testing

@Suite("Namespace")
struct NamespaceTests {
    @Test("the same name gives the same signal; another name another signal")
    func identity() throws {
        let namespace = Namespace()
        let started = try namespace.signal("request-started", of: RequestEvent.self, doc: "A request started.")
        let startedAgain = try namespace.signal("request-started", of: RequestEvent.self, doc: "ignored")
        let finished = try namespace.signal("request-finished", of: RequestEvent.self)

        #expect(started === startedAgain)
        #expect(started !== finished)
        #expect(started.name == "request-started")
        #expect(startedAgain.doc == "A request started.")
        #expect(namespace.names == ["request-finished", "request-started"])
    }

    @Test("a receiver connected through one lookup hears sends through another")
    func sharedSignal() throws {
        let namespace = Namespace()
        let log = Log<Int>()
        try namespace.signal("tick", of: Int.self).connect { log.append($0) }

        try namespace.signal("tick", of: Int.self).send(42)

        #expect(log.entries == [42])
    }

    @Test("separate namespaces hold separate signals")
    func separateNamespaces() throws {
        #expect(try Namespace().signal("same", of: Int.self) !== Namespace().signal("same", of: Int.self))
    }

    @Test("the default namespace is one per process, from any task")
    func defaultNamespace() async throws {
        let name = "beacon-tests.default-namespace"
        let expected = try Namespace.default.signal(name, of: String.self)
        let identifiers = await withTaskGroup(of: ObjectIdentifier.self) { group in
            for _ in 0..<16 {
                group.addTask { ObjectIdentifier(try! Namespace.default.signal(name, of: String.self)) }
            }
            return await group.reduce(into: Set<ObjectIdentifier>()) { $0.insert($1) }
        }

        #expect(identifiers == [ObjectIdentifier(expected)])
        #expect(Namespace.default.names.contains(name))
    }

    @Test("signals whose receivers return values live in namespaces too")
    func returningSignals() throws {
        let namespace = Namespace()
        let lookup = try namespace.signal("lookup", of: String.self, returning: Int.self)
        lookup.connect { $0.count }

        #expect(try namespace.signal("lookup", of: String.self, returning: Int.self) === lookup)
        #expect(lookup.send("four").outputs == [4])
    }

    @Test("asking for a name with another payload type throws an error naming both types, and keeps the signal")
    func typeMismatch() throws {
        let namespace = Namespace()
        let started = try namespace.signal("request-started", of: Int.self)

        let error = #expect(throws: SignalError.self) {
            try namespace.signal("request-started", of: String.self)
        }

        #expect(error?.code == .signalTypeMismatch)
        #expect(error?.description.contains("ReturningSignal<Int, ()>") == true)
        #expect(error?.description.contains("ReturningSignal<String, ()>") == true)
        #expect(try namespace.signal("request-started", of: Int.self) === started)
    }
}
