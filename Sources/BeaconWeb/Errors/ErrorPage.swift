import Hummingbird

/// Beacon's own error body: the status, an optional message, the request id, and in debug mode the error's type and
/// description. Written as JSON or as a small HTML page; every value is escaped for its format.
///
/// ```json
/// {"error":{"status":404,"reason":"Not Found","request_id":"8c1f…"}}
/// ```
struct ErrorPage: Sendable {
    var status: HTTPResponse.Status
    var message: String?
    var requestID: String
    /// The error's type and description, shown only in debug mode.
    var debugDetails: (type: String, description: String)?

    func response(format: ErrorFormat, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        let body: String
        switch format {
        case .json:
            headers[.contentType] = "application/json; charset=utf-8"
            body = json
        case .html:
            headers[.contentType] = "text/html; charset=utf-8"
            body = html
        }
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    var json: String {
        var fields = ["\"status\":\(status.code)", "\"reason\":\(Self.jsonString(status.reasonPhrase))"]
        if let message { fields.append("\"message\":\(Self.jsonString(message))") }
        fields.append("\"request_id\":\(Self.jsonString(requestID))")
        if let debugDetails {
            fields.append(
                "\"debug\":{\"type\":\(Self.jsonString(debugDetails.type)),\"description\":\(Self.jsonString(debugDetails.description))}"
            )
        }
        return "{\"error\":{\(fields.joined(separator: ","))}}"
    }

    var html: String {
        let title = "\(status.code) \(Self.htmlEscaped(status.reasonPhrase))"
        var page = """
            <!doctype html>
            <html lang="en">
            <head><meta charset="utf-8"><title>\(title)</title></head>
            <body>
            <h1>\(title)</h1>

            """
        if let message { page += "<p>\(Self.htmlEscaped(message))</p>\n" }
        page += "<p>Request ID: <code>\(Self.htmlEscaped(requestID))</code></p>\n"
        if let debugDetails {
            page += "<h2>\(Self.htmlEscaped(debugDetails.type))</h2>\n<pre>\(Self.htmlEscaped(debugDetails.description))</pre>\n"
        }
        page += "</body>\n</html>\n"
        return page
    }

    static func jsonString(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "<": result += "\\u003c"  // harmless inside HTML too
            case _ where scalar.value < 0x20 || scalar.value == 0x7f || scalar == "\u{2028}" || scalar == "\u{2029}":
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    static func htmlEscaped(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }
}
