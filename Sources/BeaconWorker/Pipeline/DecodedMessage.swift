package import BeaconEvents

/// One message's body, read: its events, and what of it is poison.
///
/// A message over the size limit, or a single event (`application/json`) that is not a valid schema-1 event, is
/// poison as a whole. In an NDJSON batch (`application/x-ndjson`) only the bad lines are poison, each on its own;
/// when every line is bad, the whole message is.
///
/// Package access: the bundled `worker tail` reads messages this way too.
package struct DecodedMessage: Sendable {
    /// A line of an NDJSON batch that is not an event.
    package struct PoisonLine: Sendable {
        /// The line's number in the body, 1-based, blank lines counted: the number the error's message gives.
        package let number: Int
        /// The line's bytes.
        package let body: [UInt8]
        /// Why it is not an event.
        package let error: EventDecodingError
    }

    /// The message's events, in order.
    package var events: [Event] = []
    /// Set when the whole message is poison.
    package var poison: EventDecodingError?
    /// The lines of an NDJSON batch that are not events (when others are).
    package var poisonLines: [PoisonLine] = []

    /// Reads a body as its content type says; over `maxBytes` it is poison.
    package init(body: [UInt8], contentType: String?, maxBytes: Int) {
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
        var lines: [(number: Int, body: ArraySlice<UInt8>)]?  // split again only when a line is bad, to quote it
        for (index, result) in results.enumerated() {
            switch result {
            case .success(let event): events.append(event)
            case .failure(let error):
                let badLines = lines ?? Self.nonBlankLines(body)
                lines = badLines
                let line = index < badLines.count ? badLines[index] : (number: index + 1, body: [])
                poisonLines.append(PoisonLine(number: line.number, body: Array(line.body), error: error))
            }
        }
        if events.isEmpty {
            poison = poisonLines.first?.error ?? EventDecodingError(.invalidJSON, "the batch holds no event")
            if poisonLines.count > 1 { poison = EventDecodingError(poison!.code, "every line is bad; the first: \(poison!.message)") }
            poisonLines = []
        }
    }

    /// The lines ``EventBatch/decode(_:contentType:)`` reads, in order, with their 1-based numbers in the body: blank
    /// ones (only spaces, tabs, CRs) skipped, but counted.
    static func nonBlankLines(_ body: [UInt8]) -> [(number: Int, body: ArraySlice<UInt8>)] {
        body.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated().compactMap { index, line in
            line.contains { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\t") }
                ? (index + 1, line) : nil
        }
    }
}
