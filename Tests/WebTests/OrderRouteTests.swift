import BeaconTasksCore
import BeaconTesting
import BeaconWeb
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import ShopDemo
import Testing

@testable import web

/// `POST /orders` with the eager task queue in place of RabbitMQ: what is enqueued, and what is refused.
@Suite struct OrderRouteTests {
    func withRoute(tasks: EagerTaskQueue?, _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = try BeaconApp(logger: Logger(label: "web"))
        if let tasks { app.tasks.use(tasks) }
        let router = app.router()
        WebServer.addOrderRoute(to: router)
        try await app.application(router: router).test(.router) { client in try await body(client) }
    }

    func post(_ json: String, to client: some TestClientProtocol, requestID: String = "order-test") async throws -> (HTTPResponse.Status, JSONValue) {
        try await client.execute(
            uri: "/orders",
            method: .post,
            headers: [.contentType: "application/json", RequestIDPolicy.headerName: requestID],
            body: ByteBuffer(string: json)
        ) { response in
            (response.status, (try? JSONValue.parse(response.body.readableBytesView)) ?? .null)
        }
    }

    @Test func aValidOrderEnqueuesTheReceiptWithTheRequestID() async throws {
        let tasks = EagerTaskQueue()
        try await withRoute(tasks: tasks) { client in
            let (status, body) = try await post(
                #"{"name": "Ada", "email": "ada@example.com", "items": [{"name": "Tea", "price": 3.5}, {"name": "Cake", "price": 4}]}"#,
                to: client,
                requestID: "req-42"
            )
            #expect(status == .accepted)
            let orderID = try #require(body["order_id"]?.stringValue)
            let taskID = try #require(body["task_id"]?.stringValue)
            let enqueued = tasks.enqueued(SendReceipt.self)
            #expect(enqueued.count == 1)
            let receipt = try #require(enqueued.first)
            #expect(receipt.id == taskID)
            #expect(
                receipt.arguments
                    == SendReceipt.Arguments(
                        orderID: orderID,
                        name: "Ada",
                        email: "ada@example.com",
                        items: [.init(name: "Tea", price: 3.5), .init(name: "Cake", price: 4)]
                    )
            )
            #expect(receipt.options.queue == "shop")
            #expect(receipt.options.requestID == "req-42")
            #expect(receipt.options.ignoreResult)
            // The wire form is the demo's contract: keyword arguments order_id, name, email, items.
            #expect(tasks.enqueued.first?.arguments["order_id"]?.stringValue == orderID)
        }
    }

    @Test func anInvalidOrderIsA422NamingEveryFieldAtFault() async throws {
        let tasks = EagerTaskQueue()
        try await withRoute(tasks: tasks) { client in
            let (status, body) = try await post(
                #"{"order_id": "x", "name": "", "email": "ada@example.com\r\nBcc: all@example.com", "items": [{"name": "Tea", "price": -1}, 7]}"#,
                to: client
            )
            #expect(status == .unprocessableContent)
            #expect(body["error"]?.stringValue == "invalid order")
            let fields = try #require(body["fields"]?.objectValue)
            #expect(Set(fields.keys) == ["order_id", "name", "email", "items[0].price", "items[1]"])
            #expect(fields["email"]?.stringValue?.contains("email address") == true)
            #expect(tasks.enqueued.isEmpty)
        }
    }

    @Test(arguments: ["not json", "[1, 2]", "\"text\""])
    func aBodyThatIsNotAJSONObjectIsA400(body: String) async throws {
        let tasks = EagerTaskQueue()
        try await withRoute(tasks: tasks) { client in
            let (status, answer) = try await post(body, to: client)
            #expect(status == .badRequest)
            #expect(answer["error"]?.stringValue == "the body is not a JSON object")
            #expect(tasks.enqueued.isEmpty)
        }
    }

    @Test func withoutATaskEnqueuerTheOrderIsA503() async throws {
        try await withRoute(tasks: nil) { client in
            let (status, _) = try await post(#"{"name": "Ada", "email": "ada@example.com", "items": [{"name": "Tea", "price": 1}]}"#, to: client)
            #expect(status == .serviceUnavailable)
        }
    }
}
