import BeaconAMQP
import Foundation
import IntegrationSupport
import Logging
import Testing

@testable import BeaconTasks

/// Beacon and real Celery 5.7 (``TestServices/celeryPython()``) both ways through the test broker: a Python producer
/// with the `rpc://` backend and a Beacon worker; a Beacon client and a Python Celery worker.
@Suite struct CeleryInteropTests {
    /// Python's `send_task` of `demo.echo` (also with a countdown) and `demo.explode` to a queue the Beacon worker
    /// declared (quorum, with a dead-letter exchange); `AsyncResult.get` reads the results.
    ///
    /// Celery declares a queue before it publishes to it; declared as a plain classic queue (what
    /// `task_create_missing_queues` makes of `queue="demo"`), that is `406 PRECONDITION_FAILED` against the quorum
    /// queue. So the producer declares it with the worker's arguments (`task_queues`, with `TaskQueue.arguments`), which
    /// RabbitMQ takes as the same queue whichever side comes first, and creates no missing queues.
    @Test func aPythonProducerRunsTasksOnABeaconWorker() async throws {
        let python = try TestServices.celeryPython()
        let url = try TestServices.amqpURL()
        let queue = TestServices.uniqueName("demo")
        let dead = TestServices.uniqueName("demo.dead")
        let declaration = TaskQueue(queue, concurrency: 2)
        let arguments = JSONValue.object(
            JSONObject(
                declaration.arguments(deadLetterExchange: dead).map { entry in
                    (key: entry.key, value: entry.value.intValue.map { JSONValue.integer(Int64($0)) } ?? .string(entry.value.stringValue ?? ""))
                }
            )
        )
        let kwargs: JSONValue = ["order": 42, "email": "ada@example.com", "tags": ["a", nil], "nested": ["x": 1.5, "ok": true]]
        func makeWorker(_ connection: AMQPConnection) -> TaskWorker {
            var worker = TaskWorker(connection: connection, deadLetterQueue: dead, logger: TaskBroker.logger)
            worker.addQueue(declaration)
            worker.register(Echo.self, queue: queue) { arguments, _ in arguments }
            worker.register(Explode.self, queue: queue) { arguments, _ in throw Kaboom(why: arguments.why) }
            return worker
        }
        try await TaskBroker.withWorker(makeWorker) { _, tools in
            let output = try await ExternalCommand.run(python, ["-c", Self.producer, url, queue, arguments.jsonText, kwargs.jsonText])
            let line = try #require(output.split(separator: "\n").last, "no output: \(output)")
            let answer = try JSONValue.parse(Array(line.utf8))
            #expect(answer["result"] == kwargs, "\(output)")
            #expect(answer["failure"]?["type"]?.stringValue == "Kaboom", "\(output)")
            #expect(answer["failure"]?["message"]?.stringValue == "kaboom: on purpose", "\(output)")
            // The countdown task waited in the broker's ladder (the worker sent it there), and ran after it.
            #expect(answer["delayed"] == ["delayed": true], "\(output)")
            #expect((answer["delayed_seconds"]?.doubleValue ?? 0) >= 2, "\(output)")
            // The failed task is in the dead-letter queue; the echo is not.
            let letters = try await TaskBroker.take(1, from: dead, tools: tools)
            #expect(letters.map { $0.properties.headers["task"]?.stringValue } == [Explode.name])
            #expect(try await tools.checkQueue(queue).messageCount == 0)
        }
    }

    static let producer = """
        import json, sys, time
        from celery import Celery
        from kombu import Exchange, Queue
        url, queue, arguments, kwargs = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
        app = Celery('interop_producer', broker=url, backend='rpc://', set_as_current=False)
        app.conf.broker_connection_retry_on_startup = True
        app.conf.task_create_missing_queues = False
        # The queue as the Beacon worker declares it: the default exchange, the same x- arguments.
        app.conf.task_queues = [Queue(queue, Exchange(''), routing_key=queue, queue_arguments=arguments)]
        echo = app.send_task('demo.echo', kwargs=kwargs, queue=queue)
        explode = app.send_task('beacon.test.explode', kwargs={'why': 'on purpose'}, queue=queue)
        answer = {'id': echo.id, 'result': echo.get(timeout=20)}
        try:
            explode.get(timeout=20)
        except Exception as error:
            answer['failure'] = {'type': type(error).__name__, 'message': str(error)}
        # Through the default exchange Celery sends a countdown straight to the queue, with only the eta header.
        started = time.monotonic()
        delayed = app.send_task('demo.echo', kwargs={'delayed': True}, queue=queue, countdown=2)
        answer['delayed'] = delayed.get(timeout=30)
        answer['delayed_seconds'] = time.monotonic() - started
        print(json.dumps(answer))
        """

    static let workerModule = """
        import os
        from celery import Celery
        app = Celery('interop_tasks', broker=os.environ['INTEROP_BROKER'], backend='rpc://')
        app.conf.broker_connection_retry_on_startup = True
        app.conf.worker_hijack_root_logger = False

        @app.task(name='demo.add')
        def add(a, b):
            return a + b

        @app.task(name='demo.fail')
        def fail(why):
            raise ValueError(why)

        @app.task(name='demo.progress', bind=True)
        def progress(self, steps):
            for done in range(steps):
                self.update_state(state='PROGRESS', meta={'done': done, 'total': steps})
            return steps

        @app.task(name='demo.flaky', bind=True, max_retries=2)
        def flaky(self):
            if self.request.retries < 2:
                raise self.retry(countdown=0)
            return self.request.retries
        """

    /// A Beacon client enqueues by name to a Python Celery worker (`--pool=solo`), which publishes the results to the
    /// messages' direct reply-to address; the client reads them, skipping PROGRESS (`update_state`) and RETRY states
    /// (a Celery retry is a new message with the same id and `reply_to`); a countdown goes through the shared ladder.
    @Test func aBeaconClientRunsTasksOnAPythonWorker() async throws {
        let python = try TestServices.celeryPython()
        let url = try TestServices.amqpURL()
        let queue = TestServices.uniqueName("py")
        let directory = try TestServices.temporaryDirectory()
        try Self.workerModule.write(to: directory.appendingPathComponent("interop_tasks.py"), atomically: true, encoding: .utf8)
        let worker = try BackgroundProcess(
            python,
            [
                "-m", "celery", "-A", "interop_tasks", "worker", "--pool=solo", "-Q", queue, "--without-heartbeat", "--without-mingle",
                "--without-gossip", "--loglevel=INFO", "-n", "\(queue)@localhost",
            ],
            environment: ["INTEROP_BROKER": url, "PYTHONPATH": directory.path, "PYTHONDONTWRITEBYTECODE": "1"],
            log: directory.appendingPathComponent("celery-worker.log")
        )
        do {
            try await TaskBroker.withClient { client, tools in
                try await TaskBroker.waitForConsumers([queue], tools: tools)
                let sum = try await client.enqueue(name: "demo.add", args: [2, 3], options: TaskOptions(queue: queue))
                let named = try await client.enqueue(name: "demo.add", kwargs: ["a": 20, "b": 22], options: TaskOptions(queue: queue))
                let failing = try await client.enqueue(name: "demo.fail", kwargs: ["why": "kaput"], options: TaskOptions(queue: queue))
                // PROGRESS and RETRY states come first; the handle waits for the final one.
                let progress = try await client.enqueue(name: "demo.progress", kwargs: ["steps": 3], options: TaskOptions(queue: queue))
                let flaky = try await client.enqueue(name: "demo.flaky", options: TaskOptions(queue: queue))
                // Through the ladder (which the client declares, with the queue bound to it) into Celery's queue.
                let enqueued = ContinuousClock.now
                let delayed = try await client.enqueue(name: "demo.add", args: [1, 1], options: TaskOptions(countdown: .seconds(2), queue: queue))
                #expect(try await sum.result(timeout: .seconds(20)) == 5, "\(worker.output)")
                #expect(try await named.result(timeout: .seconds(20)) == 42, "\(worker.output)")
                let failure = try await #require(throws: TaskFailure.self) { try await failing.result(timeout: .seconds(20)) }
                #expect(failure.type == "ValueError")
                #expect(failure.module == "builtins")
                #expect(failure.message == "kaput")
                #expect(try await progress.result(timeout: .seconds(20)) == 3, "\(worker.output)")
                #expect(try await flaky.result(timeout: .seconds(20)) == 2, "\(worker.output)")
                #expect(client.intermediateStatesSkipped == 3 + 2)
                #expect(try await delayed.result(timeout: .seconds(20)) == 2, "\(worker.output)")
                #expect(ContinuousClock.now - enqueued >= .seconds(2))
            }
        } catch {
            await worker.stop()
            Issue.record("the Celery worker printed:\n\(worker.output)")
            throw error
        }
        await worker.stop()
    }
}
