public import BeaconAMQP

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension TaskResultMessage {
    /// The message to publish to `replyTo` (through the default exchange), as the `rpc://` backend does:
    /// `correlation_id` = task id, `delivery_mode` 1 (transient), `content_type` `application/json`,
    /// `content_encoding` `utf-8`, empty headers, priority 0. Publish it with `mandatory: false` to a direct reply-to
    /// queue (``TaskWireMessage/amqpMessage(mandatory:)``).
    public func wire(replyTo: String) -> TaskWireMessage {
        let properties = AMQPProperties(
            contentType: "application/json",
            contentEncoding: "utf-8",
            headers: [:],
            deliveryMode: .transient,
            priority: 0,
            correlationID: taskID
        )
        var body: JSONObject = [
            "status": .string(state.rawValue),
            "result": result,
            "traceback": traceback.map(JSONValue.string) ?? .null,
            "children": .array(children),
            "date_done": dateDone.map { .string(CeleryTime.format($0)) } ?? .null,
        ]
        if let parentID { body["parent_id"] = .string(parentID) }
        body["task_id"] = .string(taskID)
        return TaskWireMessage(exchange: "", routingKey: replyTo, properties: properties, body: JSONValue.object(body).jsonBytes)
    }

    /// Reads a delivered result message. See ``init(properties:body:)``.
    public init(delivery: AMQPDelivery) throws(TaskDecodingError) {
        try self.init(properties: delivery.properties, body: delivery.body)
    }

    /// Reads a result message: JSON only (the same content checks as task messages); `task_id` and `status` are
    /// required, the task id falls back to `correlation_id`.
    public init(properties: AMQPProperties, body: [UInt8]) throws(TaskDecodingError) {
        try TaskContent.check(properties)
        guard case .object(let object) = try TaskContent.parseBody(body) else {
            throw TaskDecodingError(.invalidBody, "a result message body is a JSON object")
        }
        func field(_ name: String) throws(TaskDecodingError) -> String? {
            switch object[name] {
            case nil, .null?: return nil
            case .string(let text)?: return text
            case let other?: throw TaskDecodingError(.invalidBody, "result member \"\(name)\" is \(other.kind), not a string")
            }
        }
        guard let taskID = try field("task_id") ?? properties.correlationID else {
            throw TaskDecodingError(.invalidBody, "a result message without \"task_id\"")
        }
        guard let status = try field("status"), !status.isEmpty else {
            throw TaskDecodingError(.invalidBody, "result for \(taskID) without \"status\"")
        }
        var dateDone: Date?
        if let text = try field("date_done") {
            guard let date = CeleryTime.parse(text) else {
                throw TaskDecodingError(.invalidBody, "result member \"date_done\": \"\(text)\" is not an ISO 8601 time")
            }
            dateDone = date
        }
        let children: [JSONValue]
        switch object["children"] {
        case nil, .null?: children = []
        case .array(let elements)?: children = elements
        case let other?: throw TaskDecodingError(.invalidBody, "result member \"children\" is \(other.kind), not an array")
        }
        self.init(
            taskID: taskID,
            state: TaskState(rawValue: status),
            result: object["result"] ?? .null,
            traceback: try field("traceback"),
            children: children,
            dateDone: dateDone,
            parentID: try field("parent_id")
        )
    }
}
