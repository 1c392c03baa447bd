import BeaconAMQP
import BeaconTasks
import BeaconWorker
import Foundation
import Logging
import Mustache
import ShopDemo

/// The bundled worker's tasks (the demo's contract, `ShopDemo`): `shop.send_receipt` from the queue `shop`, mailed
/// through the mail sink's SMTP server and sender, and `demo.echo` from the queue `demo`.
enum ShopTasks {
    /// A task worker on `connection` with both tasks registered, its once-only journal in the worker's state
    /// directory. Without the receipt template (`<templates>/receipt.mustache`) it runs `demo.echo` only and says so
    /// once: receipts wait in their queue for a worker that can render them.
    static func worker(connection: AMQPConnection, configuration: WorkerConfiguration, templates: String, logger: Logger) throws -> TaskWorker {
        let store = try FileIdempotencyStore(directory: configuration.resolvedStateDirectory + "/tasks")
        var worker = TaskWorker(connection: connection, idempotency: store, logger: logger)
        // demo.echo is a no-op: a deep prefetch keeps the handlers busy (each ack of a quorum queue is a log write).
        worker.addQueue(TaskQueue("demo", concurrency: 64, prefetch: 512))
        // The mail sink's server and sender (SMTP_URL, MAIL_FROM apply to it); the defaults without a mail sink.
        let mail = configuration.sinks.lazy.compactMap { $0.kind.settings as? MailSinkConfiguration }.first
        let receipts: ReceiptMailer?
        do {
            receipts = try ReceiptMailer(
                mailer: Mailer(smtp: mail?.smtp ?? SMTPConfiguration()),
                from: mail?.from ?? "beacon@localhost",
                templatePath: templates + "/receipt.mustache"
            )
            worker.addQueue(TaskQueue("shop", concurrency: 4))
        } catch {
            logger.notice("shop.send_receipt is not run by this worker: no receipt template", metadata: ["template": "\(templates)/receipt.mustache"])
            receipts = nil
        }
        register(on: &worker, receipts: receipts)
        return worker
    }

    /// Registers the tasks on `worker`: the receipt (when there is a mailer for it) with retries on temporary SMTP
    /// failures (5 runs, from 5 s) and time limits of 60 s (soft) and 90 s (hard); `demo.echo`.
    static func register(on worker: inout TaskWorker, shopQueue: String = "shop", demoQueue: String = "demo", receipts: ReceiptMailer?) {
        worker.register(DemoEcho.self, queue: demoQueue) { arguments, _ in arguments }
        guard let receipts else { return }
        let options = TaskHandlerOptions(
            retry: RetryPolicy(maximumAttempts: 5, initialDelay: .seconds(5), maximumDelay: .seconds(300)),
            retryWhen: { ($0 as? MailError).map { !$0.isPermanent } ?? false },
            timeLimits: TaskTimeLimits(soft: .seconds(60), hard: .seconds(90))
        )
        worker.register(SendReceipt.self, queue: shopQueue, options: options) { arguments, context in
            try await receipts.send(arguments, context: context)
        }
    }
}

/// Renders the receipt (`templates/receipt.mustache`) and mails it.
struct ReceiptMailer: Sendable {
    let mailer: Mailer
    let from: String
    let template: MustacheTemplate

    init(mailer: Mailer, from: String, templatePath: String) throws {
        self.mailer = mailer
        self.from = from
        let text = try String(contentsOfFile: templatePath, encoding: .utf8)
        template = try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT}}" + text)
    }

    func send(_ order: SendReceipt.Arguments, context: TaskContext) async throws -> SendReceipt.Output {
        // A sender other than the web (Python, say) may not have checked the address: a header must not carry it then.
        guard OrderRequest.isMailAddress(order.email) else {
            throw TaskFailure(type: "InvalidAddress", message: "order \(order.orderID): the email is not a plain address")
        }
        var headers = [(name: "Order-Id", value: order.orderID), (name: "Task-Id", value: context.taskID)]
        if let requestID = context.message.requestID { headers.append((name: "Request-Id", value: requestID)) }
        let mail = Mail(
            from: from,
            to: [order.email],
            subject: "Your receipt for order \(order.orderID)",
            body: render(order),
            messageID: "receipt-\(order.orderID)",
            headers: headers,
            date: Int64(Date().timeIntervalSince1970)
        )
        let messageID = try await mailer.send(mail)
        context.logger.info("receipt mailed", metadata: ["order_id": "\(order.orderID)", "message_id": "\(messageID)"])
        return SendReceipt.Output(messageID: messageID)
    }

    /// The body: each item's name and price in two columns, and the total.
    func render(_ order: SendReceipt.Arguments) -> String {
        let width = max(40, (order.items.map { $0.name.count }.max() ?? 0) + 12)
        func price(_ value: Double) -> String { String(format: "%.2f", value) }
        func padding(_ name: String, _ amount: String) -> String { String(repeating: " ", count: max(2, width - name.count - amount.count)) }
        let items: [[String: Any]] = order.items.map { item in
            ["name": item.name, "price": price(item.price), "padding": padding(item.name, price(item.price))]
        }
        let total = price(order.items.reduce(0) { $0 + $1.price })
        let context: [String: Any] = [
            "name": order.name, "order_id": order.orderID, "items": items, "total": total, "total_padding": padding("Total", total),
        ]
        return template.render(context)
    }
}
