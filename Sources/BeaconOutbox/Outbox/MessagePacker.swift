import BeaconEvents

/// Packs spooled-format records into messages: records that share a routing key travel together as NDJSON (up to
/// a count and a size), a record alone travels as a single JSON event. Within a routing key the order is kept.
struct MessagePacker: Sendable {
    var maximumEventsPerMessage: Int
    var maximumMessageBytes: Int

    /// A message and the records it carries, so that a message that fails can be spooled record by record.
    struct Packed: Sendable {
        var message: OutboxMessage
        var records: [EventSpool.Record]
    }

    func pack(_ records: some Sequence<EventSpool.Record>, at time: Event.Timestamp = .now()) -> [Packed] {
        var groups: [String: Int] = [:]
        var open: [[EventSpool.Record]] = []
        var openBytes: [Int] = []
        var packed: [Packed] = []
        for record in records {
            if let index = groups[record.routingKey],
                open[index].count < maximumEventsPerMessage,
                openBytes[index] + record.body.count + 1 <= maximumMessageBytes
            {
                open[index].append(record)
                openBytes[index] += record.body.count + 1
                continue
            }
            if let full = groups[record.routingKey] {
                packed.append(message(for: open[full], at: time))
                open[full] = [record]
                openBytes[full] = record.body.count + 1
            } else {
                groups[record.routingKey] = open.count
                open.append([record])
                openBytes.append(record.body.count + 1)
            }
        }
        return packed + open.map { message(for: $0, at: time) }
    }

    private func message(for records: [EventSpool.Record], at time: Event.Timestamp) -> Packed {
        let first = records[0]
        let words = first.routingKey.split(separator: ".", maxSplits: 2)
        let service = words.first.map(String.init) ?? first.routingKey
        let kind = words.count > 1 ? Event.Kind(rawValue: String(words[1])) ?? .log : .log
        if records.count == 1 {
            let message = OutboxMessage(
                routingKey: first.routingKey,
                contentType: Event.contentType,
                body: first.body,
                messageID: first.eventID,
                timestamp: time,
                service: service,
                kind: kind,
                eventCount: 1
            )
            return Packed(message: message, records: records)
        }
        var body: [UInt8] = []
        body.reserveCapacity(records.reduce(0) { $0 + $1.body.count + 1 })
        for record in records {
            body += record.body
            body.append(UInt8(ascii: "\n"))
        }
        let message = OutboxMessage(
            routingKey: first.routingKey,
            contentType: EventBatch.contentType,
            body: body,
            messageID: Event.makeID(at: time),
            timestamp: time,
            service: service,
            kind: kind,
            eventCount: records.count
        )
        return Packed(message: message, records: records)
    }
}
