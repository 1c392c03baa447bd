import Beacon
import BeaconEvents
import BeaconOutbox
import BeaconTesting
import BeaconWeb
import BeaconWebTesting
import Hummingbird
import HummingbirdTesting
import InMemoryLogging
import Logging
import Testing

/// The request id: kept when valid, generated otherwise, echoed, and on every log line and event of the request.
@Suite struct RequestIDTests {
    @Test func aValidIncomingIDIsKeptEverywhere() async throws {
        let test = try TestApp()
        let id = "req-2026.11:abc_DEF"
        try await test.test { client in
            try await client.execute(uri: "/whoami", method: .get, headers: [RequestIDPolicy.headerName: id]) { response in
                #expect(response.headers[RequestIDPolicy.headerName] == id)
                #expect(String(buffer: response.body) == id, "context.requestID")
            }
            try await client.execute(uri: "/log", method: .get, headers: [RequestIDPolicy.headerName: id]) { _ in }
        }
        let requestLines = test.logs.entries.filter { $0.isRequestLine }
        #expect(requestLines.count == 2)
        #expect(requestLines.allSatisfy { $0.metadata["hb.request.id"]?.description == id })
        let appLines = test.logs.entries.filter { $0.message == "card expired" || $0.message == "from the task-local logger" }
        #expect(appLines.count == 2)
        #expect(appLines.allSatisfy { $0.metadata["hb.request.id"]?.description == id }, "the route's logger and Logger.current")
        let events = test.events.transport.events(ofRequest: id)
        #expect(events.filter { $0.kind == .request }.count == 2)
        #expect(events.filter { $0.kind == .log }.count == 2, "the app's log lines of the request carry it too")
    }

    @Test func anIDIsGeneratedWhenNoneCame() async throws {
        let test = try TestApp()
        let ids = Box<[String]>([])
        try await test.test { client in
            for _ in 0..<3 {
                try await client.execute(uri: "/whoami", method: .get) { response in
                    let id = try #require(response.headers[RequestIDPolicy.headerName])
                    #expect(RequestIDPolicy.isValid(id))
                    #expect(String(buffer: response.body) == id)
                    ids.value.append(id)
                }
            }
        }
        #expect(Set(ids.value).count == 3, "one id per request")
        let logged = test.logs.entries.filter { $0.isRequestLine }.compactMap { $0.metadata["hb.request.id"]?.description }
        #expect(logged == ids.value)
        #expect(test.events.transport.events(kind: .request).map(\.request?.id) == ids.value)
    }

    @Test(arguments: [
        "with spaces",
        String(repeating: "a", count: RequestIDPolicy.maximumLength + 1),
        "<script>alert(1)</script>",
        "quote\"d",
        "naïve",
        "tab\there",
    ])
    func anInvalidIDIsReplaced(incoming: String) async throws {
        let test = try TestApp()
        try await test.test { client in
            try await client.execute(uri: "/whoami", method: .get, headers: [RequestIDPolicy.headerName: incoming]) { response in
                let id = try #require(response.headers[RequestIDPolicy.headerName])
                #expect(id != incoming)
                #expect(RequestIDPolicy.isValid(id))
                #expect(String(buffer: response.body) == id)
            }
        }
    }

    @Test func validity() {
        #expect(RequestIDPolicy.isValid("a"))
        #expect(RequestIDPolicy.isValid(String(repeating: "7", count: RequestIDPolicy.maximumLength)))
        #expect(RequestIDPolicy.isValid("6f1c2b0e-1d2e-4c3b-9a8f-0123456789ab"))
        #expect(!RequestIDPolicy.isValid(""))
        #expect(!RequestIDPolicy.isValid("a\r\nb"))
        #expect(!RequestIDPolicy.isValid("a/b"))
    }
}
