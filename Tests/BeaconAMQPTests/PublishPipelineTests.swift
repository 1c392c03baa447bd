import Synchronization
import Testing

@testable import BeaconAMQP

/// The confirm bookkeeping on its own (the broker rarely acknowledges out of order on demand): tags, `multiple`,
/// returns without a tag, deadlines, and what a lost session does to messages in flight.
@Suite("Publish pipeline bookkeeping")
struct PublishPipelineTests {
    private final class Outcomes: Sendable {
        let value = Mutex<[AMQPPublishOutcome]?>(nil)
        var result: [AMQPPublishOutcome]? { value.withLock { $0 } }
    }

    private func batch(_ count: Int, deadline: UInt64 = .max, routingKey: (Int) -> String = { _ in "q" }) -> (PublishBatch, Outcomes) {
        let outcomes = Outcomes()
        let messages = (0..<count).map { AMQPMessage(exchange: "", routingKey: routingKey($0), text: "m\($0)") }
        let batch = PublishBatch(messages: messages, deadline: deadline) { result in outcomes.value.withLock { $0 = result } }
        return (batch, outcomes)
    }

    private func send(_ pipeline: inout PublishPipeline, window: Int = 100) -> Int {
        var sent = 0
        while pipeline.nextToSend(window: window) != nil { sent += 1 }
        return sent
    }

    @Test("out-of-order single acks, then a multiple ack, resolve each message once")
    func outOfOrder() {
        var pipeline = PublishPipeline()
        let (batch, outcomes) = batch(6)
        pipeline.enqueue(batch)
        #expect(send(&pipeline) == 6)
        pipeline.confirm(tag: 3, multiple: false, .confirmed)
        pipeline.confirm(tag: 5, multiple: false, .nacked)
        #expect(pipeline.unconfirmed == 4)
        #expect(outcomes.result == nil)
        pipeline.confirm(tag: 4, multiple: true, .confirmed)
        #expect(pipeline.unconfirmed == 1)
        pipeline.confirm(tag: 6, multiple: false, .confirmed)
        #expect(outcomes.result == [.confirmed, .confirmed, .confirmed, .confirmed, .nacked, .confirmed])
        #expect(pipeline.isSettled)
        pipeline.confirm(tag: 6, multiple: true, .nacked)
        #expect(pipeline.unconfirmed == 0, "a repeated ack changes nothing")
    }

    @Test("the window bounds what is sent; acks make room")
    func window() {
        var pipeline = PublishPipeline()
        let (batch, _) = batch(10)
        pipeline.enqueue(batch)
        #expect(send(&pipeline, window: 4) == 4)
        pipeline.confirm(tag: 2, multiple: true, .confirmed)
        #expect(send(&pipeline, window: 4) == 2)
        #expect(pipeline.waiting.count == 4)
    }

    @Test("a return names no tag: it is matched by content, in order, and its ack does not overwrite it")
    func returns() {
        var pipeline = PublishPipeline()
        let (batch, outcomes) = batch(5) { $0 % 2 == 1 ? "nowhere" : "q" }
        pipeline.enqueue(batch)
        #expect(send(&pipeline) == 5)
        let error = AMQPError(code: .noRoute, message: "no queue is bound to take it", replyCode: 312)
        for index in [1, 3] {
            pipeline.returned(exchange: "", routingKey: "nowhere", messageID: nil, body: Array("m\(index)".utf8), error: error)
        }
        pipeline.confirm(tag: 5, multiple: true, .confirmed)
        #expect(outcomes.result == [.confirmed, .returned(error), .confirmed, .returned(error), .confirmed])
    }

    @Test("deadlines fail what waits or awaits its confirm; a late ack changes nothing")
    func deadlines() {
        var pipeline = PublishPipeline()
        let (early, earlyOutcomes) = batch(2, deadline: 100)
        let (late, lateOutcomes) = batch(2, deadline: 1000)
        pipeline.enqueue(early)
        pipeline.enqueue(late)
        #expect(send(&pipeline, window: 1) == 1)
        #expect(pipeline.nextDeadline == 100)
        let timeout = AMQPError(code: .timeout, message: "no confirm")
        pipeline.expire(now: 100, timeout)
        #expect(earlyOutcomes.result == [.failed(timeout), .failed(timeout)])
        #expect(lateOutcomes.result == nil)
        #expect(pipeline.nextDeadline == 1000)
        pipeline.confirm(tag: 1, multiple: false, .confirmed)
        #expect(earlyOutcomes.result == [.failed(timeout), .failed(timeout)])
        #expect(send(&pipeline, window: 10) == 2)
    }

    @Test("a lost session puts unconfirmed messages back in front, in order, and tags start again at 1")
    func sessionEnded() {
        var pipeline = PublishPipeline()
        let (batch, outcomes) = batch(5)
        pipeline.enqueue(batch)
        #expect(send(&pipeline, window: 3) == 3)
        pipeline.confirm(tag: 1, multiple: false, .confirmed)
        pipeline.sessionEnded(retry: true, AMQPError(code: .connectionLost, message: "gone"))
        #expect(pipeline.unconfirmed == 0)
        #expect(pipeline.waiting.map(\.index) == [1, 2, 3, 4])
        #expect(send(&pipeline) == 4)
        pipeline.confirm(tag: 4, multiple: true, .confirmed)
        #expect(outcomes.result == Array(repeating: .confirmed, count: 5))

        var failing = PublishPipeline()
        let (other, otherOutcomes) = self.batch(2)
        failing.enqueue(other)
        #expect(send(&failing, window: 1) == 1)
        let error = AMQPError(code: .connectionLost, message: "gone for good")
        failing.failAll(error)
        #expect(otherOutcomes.result == [.failed(error), .failed(error)])
    }
}
