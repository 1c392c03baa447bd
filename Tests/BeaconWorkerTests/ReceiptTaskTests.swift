import BeaconAMQP
import BeaconTasks
import BeaconWorker
import Foundation
import IntegrationSupport
import Logging
import ServiceLifecycle
import ShopDemo
import Testing

@testable import worker

/// The demo's task end to end on the bundled worker's handler: a receipt rendered from worker/templates, mailed
/// through the test SMTP server, once, however often it is delivered.
@Suite struct ReceiptTaskTests {
    let logger = Logger(label: "ReceiptTaskTests")

    @Test func aReceiptIsMailedOnceWithItsHeadersAndItems() async throws {
        let shop = TestServices.uniqueName("shop")
        let demo = TestServices.uniqueName("demo")
        let orderID = TestServices.uniqueName("order")
        let templates = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("worker/templates/receipt.mustache").path
        let receipts = try ReceiptMailer(
            mailer: Mailer(smtp: SMTPConfiguration(url: try TestServices.smtpURL())),
            from: "shop@example.com",
            templatePath: templates
        )
        let store = try FileIdempotencyStore(directory: TestServices.temporaryDirectory().path)
        var configuration = try AMQPConfiguration(url: TestServices.amqpURL())
        configuration.connectionName = "receipt worker"
        try await AMQPConnection.withConnection(configuration: configuration, logger: logger) { workerConnection in
            var worker = TaskWorker(
                connection: workerConnection,
                deadLetterQueue: TestServices.uniqueName("dead"),
                idempotency: store,
                logger: logger
            )
            ShopTasks.register(on: &worker, shopQueue: shop, demoQueue: demo, receipts: receipts)
            let group = ServiceGroup(configuration: .init(services: [.init(service: worker)], gracefulShutdownSignals: [], logger: logger))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                configuration.connectionName = "receipt client"
                try await AMQPConnection.withConnection(configuration: configuration, logger: logger) { connection in
                    let client = try await TaskClient(connection: connection, logger: logger)
                    let tools = try await connection.openChannel()
                    _ = await eventually { (try? await tools.checkQueue(shop).consumerCount) == 1 }
                    let order = SendReceipt.Arguments(
                        orderID: orderID,
                        name: "Ada",
                        email: "ada@example.com",
                        items: [.init(name: "Earl Grey tea", price: 3.5), .init(name: "Lemon cake", price: 4)]
                    )
                    let options = TaskOptions(queue: shop, idempotencyKey: "receipt-\(orderID)", requestID: "req-\(orderID)")
                    let output = try await client.enqueue(SendReceipt.self, order, options: options).result(timeout: .seconds(20))
                    #expect(output.messageID.hasPrefix("receipt-\(orderID)@"))
                    // Delivered again under the same key (a redelivery, a double submit): not mailed again.
                    let again = try await client.enqueue(SendReceipt.self, order, options: options).result(timeout: .seconds(20))
                    #expect(again == output)
                    // demo.echo returns its keyword arguments.
                    let echoed = try await client.enqueue(DemoEcho.self, ["ping": 1], options: TaskOptions(queue: demo)).result(timeout: .seconds(10))
                    #expect(echoed == ["ping": 1])
                    await client.close()
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
        let maildir = try TestServices.maildir()
        let mails = try maildir.messages(containing: orderID)
        #expect(mails.count == 1)
        let mail = try #require(mails.first)
        for line in [
            "Subject: Your receipt for order \(orderID)", "From: shop@example.com", "To: ada@example.com", "Date: ",
            "X-Beacon-Request-Id: req-\(orderID)", "Hello Ada,", "We have received your payment!", "Earl Grey tea", "3.50",
            "Lemon cake", "4.00", "Total", "7.50", "Thank you",
        ] {
            #expect(mail.contains(line), "no \(line) in\n\(mail)")
        }
    }
}
