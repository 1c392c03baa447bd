import BeaconEvents

/// One message's body, read: its events, and what of it is poison.
///
/// A message over the size limit, or a single event (`application/json`) that is not a valid schema-1 event, is
/// poison as a whole. In an NDJSON batch (`application/x-ndjson`) only the bad lines are poison, each on its own;
/// when every line is bad, the whole message is.
struct DecodedMessage: Sendable {
    /// A line of an NDJSON batch that is not an event.
    struct PoisonLine: Sendable {
        /// 1-based, counting the non-blank lines as ``EventBatch`` does.
        let number: Int
        let body: [UInt8]
        let error: EventDecodingError
    }

    var events: [Event] = []
    /// Set when the whole message is poison.
    var poison: EventDecodingError?
    var poisonLines: [PoisonLine] = []

    init(body: [UInt8], contentType: String?, maxBytes: Int) {
        guard body.count <= maxBytes else {
            poison = EventDecodingError(.tooLarge, "the message has \(body.count) bytes, more than the limit of \(maxBytes)")
            return
        }
        let results = EventBatch.decode(body, contentType: contentType)
        guard EventBatch.isBatch(contentType: contentType) else {
            switch results.first {
            case .success(let event)?: events = [event]
            case .failure(let error)?: poison = error
            case nil: poison = EventDecodingError(.invalidJSON, "empty message")
            }
            return
        }
        var lines: [ArraySlice<UInt8>]?  // split again only when a line is bad, to quote it
        for (index, result) in results.enumerated() {
            switch result {
            case .success(let event): events.append(event)
            case .failure(let error):
                let badLines = lines ?? Self.nonBlankLines(body)
                lines = badLines
                let line = index < badLines.count ? Array(badLines[index]) : []
                poisonLines.append(PoisonLine(number: index + 1, body: line, error: error))
            }
        }
        if events.isEmpty {
            poison = poisonLines.first?.error ?? EventDecodingError(.invalidJSON, "the batch holds no event")
            if poisonLines.count > 1 { poison = EventDecodingError(poison!.code, "every line is bad; the first: \(poison!.message)") }
            poisonLines = []
        }
    }

    /// The lines ``EventBatch/decode(_:contentType:)`` reads, in order: blank ones (only spaces, tabs, CRs) skipped.
    static func nonBlankLines(_ body: [UInt8]) -> [ArraySlice<UInt8>] {
        body.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).filter { line in
            line.contains { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\t") }
        }
    }
}
