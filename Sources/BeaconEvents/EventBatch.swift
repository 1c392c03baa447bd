/// Several events in one message: NDJSON, one event per line (`content_type = application/x-ndjson`).
///
/// Under load a publisher may pack events that share a routing key into one message; every consumer accepts
/// both forms, and ``decode(_:contentType:)`` reads either.
public enum EventBatch {
    /// The AMQP `content_type` of a message that carries several events.
    public static let contentType = "application/x-ndjson"

    /// The events as NDJSON: each one's JSON followed by a newline.
    public static func encode(_ events: some Sequence<Event>) -> [UInt8] {
        var bytes: [UInt8] = []
        for event in events {
            event.appendJSON(to: &bytes)
            bytes.append(UInt8(ascii: "\n"))
        }
        return bytes
    }

    /// Reads a message body: NDJSON when `contentType` is `application/x-ndjson` (or `application/jsonl`),
    /// otherwise one JSON event (a producer that sets no content type still gets read).
    ///
    /// Returns one result per event in the body, in order; a bad line does not spoil the good ones.
    /// Blank lines are skipped.
    public static func decode(_ body: [UInt8], contentType: String?) -> [Result<Event, EventDecodingError>] {
        guard isBatch(contentType: contentType) else {
            return [Result { () throws(EventDecodingError) in try Event(json: body) }]
        }
        var results: [Result<Event, EventDecodingError>] = []
        for (number, line) in body.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            guard line.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\t") })
            else { continue }
            do throws(EventDecodingError) {
                results.append(.success(try Event(json: line)))
            } catch {
                results.append(.failure(EventDecodingError(error.code, "line \(number + 1): \(error.message)")))
            }
        }
        if results.isEmpty {
            results.append(.failure(EventDecodingError(.invalidJSON, "the batch holds no event")))
        }
        return results
    }

    /// True when a content type names NDJSON (parameters such as `; charset=utf-8` are ignored).
    public static func isBatch(contentType: String?) -> Bool {
        guard let contentType else { return false }
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first ?? ""
        switch mediaType.trimmingWhitespace().lowercased() {
        case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines": return true
        default: return false
        }
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> SubSequence {
        let start = firstIndex { !$0.isWhitespace } ?? endIndex
        let end = lastIndex { !$0.isWhitespace }.map(index(after:)) ?? start
        return self[start..<end]
    }
}
