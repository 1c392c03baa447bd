public import BeaconEvents
import Dispatch
import Synchronization

/// Sends mail from tasks through the mail sink's SMTP path: libcurl's SMTP (`smtp://`, `smtps://`, STARTTLS, AUTH),
/// the same header-safe message (``Mail``), one connection kept open between mails.
///
/// ```swift
/// let mailer = Mailer(smtp: SMTPConfiguration(url: "smtp://127.0.0.1:1025"))
/// let id = try await mailer.send(Mail(from: "shop@example.com", to: ["ada@example.com"], subject: "Your receipt", body: text))
/// ```
///
/// `send` suspends while a thread of the mailer's own talks to the server (libcurl blocks): it never blocks a
/// Swift concurrency thread. Mails from one mailer go one after the other, on one connection; make more mailers for
/// more connections.
public final class Mailer: Sendable {
    /// The server.
    public let smtp: SMTPConfiguration
    private let host: String
    private let queue = DispatchQueue(label: "beacon.mailer")
    private let client: Mutex<SMTPClient?>

    /// A mailer for `smtp`; it connects with the first mail.
    public init(smtp: SMTPConfiguration) {
        self.smtp = smtp
        self.host = ProcessIdentity.current.host
        self.client = Mutex(nil)
    }

    /// Sends `mail` and returns its Message-ID (without the angle brackets) once the server accepted it (250).
    /// Throws ``MailError``; ``MailError/isPermanent`` says whether sending it again would get the same answer.
    public func send(_ mail: Mail) async throws(MailError) -> String {
        let rendered = MailMessage(
            from: mail.from,
            to: mail.to,
            subject: mail.subject,
            body: mail.body,
            messageID: mail.messageID,
            extraHeaders: mail.headers,
            date: mail.date
        )
        let messageID = "\(MailMessage.token(mail.messageID, fallback: "beacon"))@\(MailMessage.token(host, fallback: "localhost"))"
        let bytes = rendered.rendered(host: host)
        let (from, to) = (mail.from, mail.to)
        let result: Result<Void, MailError> = await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: self.deliver(bytes, from: from, to: to)) }
        }
        try result.get()
        return messageID
    }
}

extension Mailer {
    /// Sends on the mailer's queue (only its thread uses the client: the Mutex hands it over, uncontended).
    fileprivate func deliver(_ bytes: [UInt8], from: String, to: [String]) -> Result<Void, MailError> {
        client.withLock { client in
            let smtpClient = client ?? SMTPClient(configuration: smtp)
            client = smtpClient
            do throws(SMTPClient.Failure) {
                try smtpClient.send(from: from, to: to, message: bytes)
                return .success(())
            } catch {
                return .failure(MailError(replyCode: error.replyCode, message: error.message, isPermanent: error.isPermanent))
            }
        }
    }
}

/// A plain-text mail (UTF-8, quoted-printable on the wire). Nothing in it can add a header: the subject is made one
/// line and encoded, extra headers are `X-Beacon-<name>` with safe characters only; `from` and each of `to` must be
/// plain addresses (`local@domain`), which the caller checks.
public struct Mail: Sendable {
    public var from: String
    public var to: [String]
    public var subject: String
    public var body: String
    /// The left part of the Message-ID (`<messageID@host>`), e.g. the order id; characters outside
    /// `A-Z a-z 0-9 . - _` are dropped.
    public var messageID: String
    /// Sent as `X-Beacon-<name>: <value>`.
    public var headers: [(name: String, value: String)]
    /// The Date header, in seconds since 1970.
    public var date: Int64

    public init(
        from: String,
        to: [String],
        subject: String,
        body: String,
        messageID: String,
        headers: [(name: String, value: String)] = [],
        date: Int64
    ) {
        self.from = from
        self.to = to
        self.subject = subject
        self.body = body
        self.messageID = messageID
        self.headers = headers
        self.date = date
    }
}

/// Why a mail was not accepted.
public struct MailError: Error, Sendable, CustomStringConvertible {
    /// The server's reply code when it answered (421, 550…).
    public let replyCode: Int?
    /// What happened, naming the server (without its password).
    public let message: String
    /// The server refused this mail for good (550–554): sending it again would get the same answer.
    public let isPermanent: Bool

    public var description: String { message }
}
