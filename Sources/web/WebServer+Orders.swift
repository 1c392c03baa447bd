import BeaconAMQP
import BeaconTasks
import BeaconWeb
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import ShopDemo

extension WebServer {
    /// `POST /orders`: the demo's task, end to end. The body is an order (``OrderRequest``); a valid one is
    /// enqueued as ``SendReceipt`` (queue `shop`, no result awaited) with a new order id and the request's id, and
    /// answered `202 {"order_id", "task_id"}`. A body that is not a JSON object is a 400; an order with fields at
    /// fault a `422 {"error": "invalid order", "fields": {field: problem}}`, and nothing is enqueued.
    static func addOrderRoute(to router: Router<BasicBeaconRequestContext>) {
        router.post("orders") { request, context -> Response in
            let body = try await request.body.collect(upTo: context.maxUploadSize)
            guard case .object(let json)? = try? JSONValue.parse(body.readableBytesView) else {
                return json(.badRequest, ["error": "the body is not a JSON object"])
            }
            let order: OrderRequest
            do throws(OrderRequest.Invalid) {
                order = try OrderRequest(json: json)
            } catch {
                let fields = JSONObject(error.fields.map { (key: $0.field, value: JSONValue.string($0.problem)) })
                return Self.json(.unprocessableContent, ["error": "invalid order", "fields": .object(fields)])
            }
            let orderID = UUID().uuidString.lowercased()
            let handle: TaskHandle<SendReceipt>
            do {
                handle = try await context.tasks.enqueue(
                    SendReceipt.self,
                    order.receipt(orderID: orderID),
                    options: TaskOptions(queue: "shop", ignoreResult: true)
                )
            } catch let error as TaskClientError {
                context.logger.error("the receipt was not enqueued", metadata: ["order_id": "\(orderID)", "error": "\(error)"])
                throw HTTPError(.serviceUnavailable, message: "the order could not be queued; try again")
            }
            context.logger.info("order placed", metadata: ["order_id": "\(orderID)", "task_id": "\(handle.id)"])
            return Self.json(.accepted, ["order_id": .string(orderID), "task_id": .string(handle.id)])
        }
    }

    private static func json(_ status: HTTPResponse.Status, _ body: JSONValue) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: body.jsonBytes + [UInt8(ascii: "\n")]))
        )
    }
}

/// Gives the app its task client once the connection it runs on is up (until then `/orders` answers 503),
/// publishes what its spool holds (tasks accepted while the broker was away, also by an earlier process) until
/// graceful shutdown, then closes it.
struct TaskClientService: Service {
    let connection: AMQPConnection
    let spool: TaskSpool
    let app: BeaconApp
    let logger: Logger

    func run() async throws {
        var waited = false
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let client = try await TaskClient(connection: connection, spool: spool, logger: logger)
                app.tasks.use(client)
                if waited { logger.notice("the task client is ready") }
                await client.runSpool()
                await client.close()
                return
            } catch {
                // The outbox already warns that the broker is away: once is enough.
                if !waited { logger.info("the task client waits for the broker", metadata: ["error": "\(error)"]) }
                waited = true
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
