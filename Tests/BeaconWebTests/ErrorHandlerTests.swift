import Beacon
import BeaconEvents
import BeaconOutbox
import BeaconTesting
import BeaconWeb
import BeaconWebTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import InMemoryLogging
import Logging
import Testing

/// Error handlers and Beacon's error pages: JSON for API clients, HTML for browsers, the request id always, an
/// internal error's details only in debug mode.
@Suite struct ErrorHandlerTests {
    static let browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

    func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any]
        return try #require(object?["error"] as? [String: Any])
    }

    @Test func unhandledErrorIsAPlain500ForAPIClients() async throws {
        let test = try TestApp()
        try await test.test { client in
            try await client.execute(uri: "/boom", method: .get, headers: [.accept: "application/json"]) { response in
                #expect(response.status == .internalServerError)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                let body = String(buffer: response.body)
                #expect(!body.contains("secret internal detail"), "the error's description never reaches the client")
                #expect(!body.contains("TestFailure"), "nor its type")
                let error = try json(response.body)
                #expect(error["status"] as? Int == 500)
                #expect(error["request_id"] as? String == response.headers[RequestIDPolicy.headerName])
                #expect(error["debug"] == nil)
            }
        }
    }

    @Test func unhandledErrorIsAnHTMLPageForBrowsers() async throws {
        let test = try TestApp()
        try await test.test { client in
            try await client.execute(uri: "/boom", method: .get, headers: [.accept: Self.browserAccept]) { response in
                #expect(response.status == .internalServerError)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                let body = String(buffer: response.body)
                #expect(body.hasPrefix("<!doctype html>"))
                #expect(body.contains("<h1>500 Internal Server Error</h1>"))
                #expect(body.contains("Request ID: <code>\(response.headers[RequestIDPolicy.headerName]!)</code>"))
                #expect(!body.contains("secret internal detail"))
            }
        }
    }

    @Test func debugModeShowsTheErrorsDetails() async throws {
        let test = try TestApp(debug: true)
        try await test.test { client in
            try await client.execute(uri: "/boom", method: .get) { response in
                let debug = try #require(try json(response.body)["debug"] as? [String: String])
                #expect(debug["type"] == "BeaconWebTests.TestFailure")
                #expect(debug["description"] == "secret internal detail 42")
            }
            try await client.execute(uri: "/boom", method: .get, headers: [.accept: Self.browserAccept]) { response in
                #expect(String(buffer: response.body).contains("<pre>secret internal detail 42</pre>"))
            }
        }
    }

    @Test func anHTTPErrorKeepsItsMessageAndHeaders() async throws {
        let test = try TestApp()
        try await test.test { client in
            try await client.execute(uri: "/forbidden", method: .get) { response in
                #expect(response.status == .forbidden)
                #expect(response.headers[.wwwAuthenticate] == "Basic")
                let error = try json(response.body)
                #expect(error["message"] as? String == "no entry")
                #expect(error["reason"] as? String == "Forbidden")
                #expect(error["request_id"] as? String == response.headers[RequestIDPolicy.headerName])
            }
            try await client.execute(uri: "/nowhere", method: .get) { response in
                #expect(response.status == .notFound)
                #expect((try? json(response.body))?["request_id"] as? String == response.headers[RequestIDPolicy.headerName])
            }
        }
    }

    /// An `HTTPResponseError` of the app's own: Beacon keeps its status and headers, and writes its own page.
    struct Teapot: HTTPResponseError {
        var status: HTTPResponse.Status { .init(code: 418, reasonPhrase: "I'm a teapot") }
        func response(from request: Request, context: some RequestContext) throws -> Response {
            Response(status: status, headers: [.retryAfter: "60"], body: ResponseBody(byteBuffer: ByteBuffer(string: "short and stout")))
        }
    }

    @Test func anHTTPResponseErrorKeepsItsStatusAndHeaders() async throws {
        let test = try TestApp()
        test.router.get("teapot") { _, _ -> String in throw Teapot() }
        try await test.test { client in
            try await client.execute(uri: "/teapot", method: .get) { response in
                #expect(response.status.code == 418)
                #expect(response.headers[.retryAfter] == "60")
                let error = try json(response.body)
                #expect(error["reason"] as? String == "I'm a teapot")
                #expect(error["request_id"] as? String == response.headers[RequestIDPolicy.headerName])
            }
        }
        #expect(test.signals.payloads(of: test.app.signals.gotRequestException).isEmpty)
    }

    @Test func statusHandler() async throws {
        let test = try TestApp()
        let seen = Box<[String]>([])
        test.app.errorHandler(for: .notFound) { failure in
            seen.value.append("\(failure.status.code) \(failure.request.path) \(failure.error is HTTPError)")
            return Response(status: .notFound, body: ResponseBody(byteBuffer: ByteBuffer(string: "custom 404 for \(failure.requestID)")))
        }
        try await test.test { client in
            try await client.execute(uri: "/nowhere", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body) == "custom 404 for \(response.headers[RequestIDPolicy.headerName]!)")
            }
        }
        #expect(seen.value == ["404 /nowhere true"])
    }

    @Test func typeHandler() async throws {
        let test = try TestApp()
        test.app.errorHandler(for: PaymentDeclined.self) { declined, failure in
            var response = failure.defaultResponse(message: "payment of \(declined.amount) declined")
            response.status = .init(code: 402, reasonPhrase: "Payment Required")
            return response
        }
        try await test.test { client in
            try await client.execute(uri: "/pay", method: .get) { response in
                #expect(response.status == .init(code: 402, reasonPhrase: "Payment Required"))
                #expect((try? json(response.body))?["message"] as? String == "payment of 12 declined")
            }
        }
        #expect(test.signals.payloads(of: test.app.signals.gotRequestException).isEmpty)
    }

    @Test func aHandlerForAProtocolTakesEveryConformingError() async throws {
        let test = try TestApp()
        test.app.errorHandler(for: (any CustomStringConvertible).self) { error, failure in
            failure.defaultResponse(message: "described")
        }
        try await test.test { client in
            try await client.execute(uri: "/boom", method: .get) { response in
                #expect((try? json(response.body))?["message"] as? String == "described")
            }
        }
    }

    @Test func theHandlerFor500GetsTheUnhandledError() async throws {
        let test = try TestApp()
        let seen = Box<String?>(nil)
        test.app.errorHandler(for: .internalServerError) { failure in
            seen.value = "\(failure.error)"
            return failure.defaultResponse(message: "we are on it")
        }
        try await test.test { client in
            try await client.execute(uri: "/boom", method: .get) { response in
                #expect(response.status == .internalServerError)
                #expect((try? json(response.body))?["message"] as? String == "we are on it")
            }
        }
        #expect(seen.value == "secret internal detail 42")
        #expect(test.signals.payloads(of: test.app.signals.gotRequestException).count == 1, "the 500 handler does not handle the error")
    }

    @Test func anErrorThrownByAHandlerIsUnhandled() async throws {
        let test = try TestApp()
        test.app.errorHandler(for: .forbidden) { _ in throw TestFailure() }
        try await test.test { client in
            try await client.execute(uri: "/forbidden", method: .get) { response in
                #expect(response.status == .internalServerError)
                #expect(!String(buffer: response.body).contains("secret"))
            }
        }
        #expect(test.signals.payloads(of: test.app.signals.gotRequestException).first?.error is TestFailure)
    }

    @Test(
        arguments: [
            (nil, ErrorFormat.json),
            ("*/*", .json),
            ("application/json", .json),
            ("application/problem+json", .json),
            (browserAccept, .html),
            ("text/html", .html),
            ("text/html;q=0.5, application/json", .json),
            ("application/json;q=0.1, text/*", .html),
            ("image/png", .json),
            // Malformed headers anyone can send: a format, never a crash.
            (";", .json),
            ("text/html,;", .html),
            (",,;;,", .json),
            ("text/html;q=abc", .html),
        ] as [(String?, ErrorFormat)]
    )
    func format(accept: String?, expected: ErrorFormat) {
        #expect(ErrorFormat(accept: accept) == expected)
    }
}
