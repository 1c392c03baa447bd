import BeaconEvents
import CCurl
import CCurlShim

/// Sends mail through libcurl's SMTP (`smtp://`, `smtps://`, STARTTLS, AUTH from the URL's user info, timeouts).
///
/// One easy handle is reused for every mail, so libcurl keeps the connection to the server open between them.
/// Every call blocks: the client belongs to the mail pipeline, which runs it on its own thread.
final class SMTPClient {
    /// Why a mail was not accepted.
    struct Failure: Error {
        /// The server's reply code, when it answered (e.g. 421, 550).
        let replyCode: Int?
        let message: String
        /// The server refused this mail for good (550–554: no such mailbox, not allowed, too large, rejected):
        /// sending it again would get the same answer. Other failures (no connection, 4xx, a 5xx about the
        /// command sequence or the server's own trouble) are worth another try.
        var isPermanent: Bool { (550...554).contains(replyCode ?? 0) }
    }

    private static let globalInitialisation: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    private let configuration: SMTPConfiguration
    /// Made again after a failure, so that the next mail starts on a fresh connection (a server may be left in a
    /// state where it refuses the next command on the old one).
    private var handle: UnsafeMutableRawPointer
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))

    init(configuration: SMTPConfiguration) {
        _ = Self.globalInitialisation
        self.configuration = configuration
        handle = curl_easy_init()
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Sends `message` (headers and body, CRLF line ends) and returns once the server answered 250 to it.
    func send(from sender: String, to recipients: [String], message: [UInt8]) throws(Failure) {
        curl_easy_reset(handle)
        errorBuffer[0] = 0
        let upload = Upload(message)
        var recipientList: UnsafeMutablePointer<curl_slist>?
        for recipient in recipients { recipientList = curl_slist_append(recipientList, "<\(recipient)>") }
        defer { curl_slist_free_all(recipientList) }

        let tls: curl_usessl =
            switch configuration.startTLS {
            case .required: CURLUSESSL_ALL
            case .optional: CURLUSESSL_TRY
            case .never: CURLUSESSL_NONE
            }
        var status = beacon_curl_setopt_string(handle, CURLOPT_URL, configuration.url)
        func set(_ result: CURLcode) { if status == CURLE_OK { status = result } }
        set(beacon_curl_setopt_string(handle, CURLOPT_MAIL_FROM, "<\(sender)>"))
        set(beacon_curl_setopt_slist(handle, CURLOPT_MAIL_RCPT, recipientList))
        set(beacon_curl_setopt_long(handle, CURLOPT_UPLOAD, 1))
        set(beacon_curl_setopt_long(handle, CURLOPT_INFILESIZE, message.count))
        set(beacon_curl_setopt_read_function(handle, uploadCallback))
        set(beacon_curl_setopt_pointer(handle, CURLOPT_READDATA, Unmanaged.passUnretained(upload).toOpaque()))
        set(beacon_curl_setopt_long(handle, CURLOPT_USE_SSL, Int(tls.rawValue)))
        set(beacon_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(configuration.connectTimeout.milliseconds)))
        set(beacon_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(configuration.timeout.milliseconds)))
        set(beacon_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
        set(beacon_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer))
        if let caFile = configuration.caFile { set(beacon_curl_setopt_string(handle, CURLOPT_CAINFO, caFile)) }
        guard status == CURLE_OK else {
            throw Failure(replyCode: nil, message: "libcurl refused an option: \(String(cString: curl_easy_strerror(status)))")
        }

        let result = withExtendedLifetime(upload) { curl_easy_perform(handle) }
        var replyCode = 0
        _ = beacon_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &replyCode)
        guard result == CURLE_OK, replyCode == 250 else {
            curl_easy_cleanup(handle)
            handle = curl_easy_init()
            let detail = errorBuffer[0] != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(result))
            let server = Redaction.standard.redactingPassword(inURL: configuration.url)
            throw Failure(
                replyCode: replyCode > 0 ? replyCode : nil,
                message: "\(server): \(detail)" + (replyCode > 0 ? " (reply \(replyCode))" : "")
            )
        }
    }
}

/// The bytes libcurl reads for the DATA command.
private final class Upload {
    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }
}

/// libcurl's read callback: copies the next part of the upload into its buffer.
private func uploadCallback(buffer: UnsafeMutablePointer<CChar>?, size: Int, count: Int, context: UnsafeMutableRawPointer?) -> Int {
    guard let buffer, let context else { return 0 }
    let upload = Unmanaged<Upload>.fromOpaque(context).takeUnretainedValue()
    let length = min(size * count, upload.bytes.count - upload.offset)
    upload.bytes.withUnsafeBytes { source in
        UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + upload.offset, byteCount: length)
    }
    upload.offset += length
    return length
}
