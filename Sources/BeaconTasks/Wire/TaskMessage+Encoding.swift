public import BeaconAMQP

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

extension TaskMessage {
    /// The message's AMQP form, as Celery 5.7 writes it: properties `correlation_id` = id, `content_type`
    /// `application/json`, `content_encoding` `utf-8`, `delivery_mode` 2, `priority`, `reply_to` when set,
    /// `expiration` (the milliseconds from `now` to ``expires``, 0 when past) when there is an expiry; Celery's
    /// headers in Celery's order with void for Python's `None` (but no `argsrepr`/`kwargsrepr`, and `origin` only
    /// when set), then Beacon's `beacon-…` headers and ``otherHeaders``; body `[args, kwargs, embed]`.
    ///
    /// `routingKey` is the queue's name through the default exchange; when `nil`, ``queue``, or else `celery`
    /// (Celery's default queue).
    public func wire(routingKey: String? = nil, exchange: String = "", now: Date = Date()) -> TaskWireMessage {
        var properties = AMQPProperties(
            contentType: "application/json",
            contentEncoding: "utf-8",
            headers: headers,
            deliveryMode: .persistent,
            priority: priority,
            correlationID: id,
            replyTo: replyTo
        )
        if let expires {
            // To whole microseconds first (what the headers carry), so that `now` + 600 s gives "600000", not "599999".
            let microseconds = (expires.timeIntervalSince(now) * 1_000_000).rounded()
            properties.expiration = String(max(0, Int64(microseconds) / 1000))
        }
        let body: JSONValue = [.array(args), .object(kwargs), .object(embed.json)]
        return TaskWireMessage(
            exchange: exchange,
            routingKey: routingKey ?? queue ?? "celery",
            properties: properties,
            body: body.jsonBytes
        )
    }

    /// The headers, in Celery's order (`as_task_v2`).
    public var headers: AMQPTable {
        var headers: AMQPTable = [
            TaskHeader.lang: "py",
            TaskHeader.task: .string(name),
            TaskHeader.id: .string(id),
            TaskHeader.shadow: .voidOr(shadow),
            TaskHeader.eta: .voidOr(eta.map(CeleryTime.format)),
            TaskHeader.expires: .voidOr(expires.map(CeleryTime.format)),
            TaskHeader.group: .voidOr(group),
            TaskHeader.groupIndex: groupIndex.map(AMQPFieldValue.integer) ?? .void,
            TaskHeader.retries: .integer(retries),
            TaskHeader.timeLimit: [.seconds(timeLimits.hard), .seconds(timeLimits.soft)],
            TaskHeader.rootID: .string(rootID),
            TaskHeader.parentID: .voidOr(parentID),
        ]
        if let origin { headers[TaskHeader.origin] = .string(origin) }
        headers[TaskHeader.ignoreResult] = .bool(ignoreResult)
        headers[TaskHeader.replacedTaskNesting] = .integer(replacedTaskNesting)
        headers[TaskHeader.stampedHeaders] = stampedHeaders
        headers[TaskHeader.stamps] = .table(stamps)
        if let requestID { headers[TaskHeader.requestID] = .string(requestID) }
        if let idempotencyKey { headers[TaskHeader.idempotencyKey] = .string(idempotencyKey) }
        for header in otherHeaders where headers[header.key] == nil { headers[header.key] = header.value }
        return headers
    }
}

extension AMQPFieldValue {
    /// A string, or void for `nil` (Python's `None` through py-amqp).
    fileprivate static func voidOr(_ string: String?) -> AMQPFieldValue {
        string.map(AMQPFieldValue.string) ?? .void
    }

    /// An integer as py-amqp writes a Python `int`: `I` (32 bits) when it fits, else `l`.
    static func integer(_ value: Int) -> AMQPFieldValue {
        if let small = Int32(exactly: value) { .int32(small) } else { .int64(Int64(value)) }
    }

    /// A time limit in seconds: an integer when whole (Python's `int`), else a double; void when `nil`.
    fileprivate static func seconds(_ duration: Duration?) -> AMQPFieldValue {
        guard let duration else { return .void }
        let (seconds, attoseconds) = duration.components
        return attoseconds == 0 ? .integer(Int(seconds)) : .double(duration.seconds)
    }
}
