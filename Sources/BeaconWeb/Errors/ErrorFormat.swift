import Foundation

/// How an error page is written: JSON for API clients, HTML for browsers.
public enum ErrorFormat: Sendable, Hashable {
    case json
    case html

    /// The format a client with this `Accept` header prefers: HTML when it ranks `text/html` (or
    /// `application/xhtml+xml`) above JSON, as browsers do; JSON otherwise, also without an `Accept` header and for
    /// `*/*` (curl, HTTP libraries).
    public init(accept: String?) {
        guard let accept, !accept.isEmpty else {
            self = .json
            return
        }
        var html = Preference()
        var json = Preference()
        for range in accept.split(separator: ",") {
            // Not `split`: it drops empty pieces, and a range of only semicolons (`Accept: ;`) would leave none.
            let parts = range.split(separator: ";", omittingEmptySubsequences: false)
            let mediaType = parts[0].trimmingCharacters(in: .whitespaces).lowercased()
            let quality = parts.dropFirst().lazy.compactMap(Self.quality(ofParameter:)).first ?? 1
            switch mediaType {
            case "text/html", "application/xhtml+xml": html.offer(quality, specificity: 2)
            case "application/json": json.offer(quality, specificity: 2)
            case "text/*": html.offer(quality, specificity: 1)
            case "application/*": json.offer(quality, specificity: 1)
            case "*/*":
                html.offer(quality, specificity: 0)
                json.offer(quality, specificity: 0)
            default:
                if mediaType.hasSuffix("+json") { json.offer(quality, specificity: 2) }
            }
        }
        self = html.quality > json.quality ? .html : .json
    }

    /// The quality a client gives a media type: the one of its most specific matching range (RFC 9110 §12.5.1).
    private struct Preference {
        var quality = 0.0
        var specificity = -1

        mutating func offer(_ quality: Double, specificity: Int) {
            if specificity > self.specificity {
                self.quality = quality
                self.specificity = specificity
            } else if specificity == self.specificity {
                self.quality = max(self.quality, quality)
            }
        }
    }

    private static func quality(ofParameter parameter: Substring) -> Double? {
        let pair = parameter.split(separator: "=", maxSplits: 1)
        guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == "q" else { return nil }
        return Double(pair[1].trimmingCharacters(in: .whitespaces)).map { min(max($0, 0), 1) }
    }
}
