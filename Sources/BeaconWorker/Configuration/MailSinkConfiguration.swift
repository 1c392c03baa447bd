/// Error mail: one SMTP message per event through libcurl, from a Mustache template, with storm control.
public struct MailSinkConfiguration: Sendable {
    /// The SMTP server and how to reach it.
    public var smtp: SMTPConfiguration
    /// The sender (`MAIL_FROM`).
    public var from: String
    /// The recipients (`MAIL_TO`, a comma list).
    public var to: [String]
    /// A one-line Mustache template for the subject (it is made one line and RFC 2047-encoded).
    public var subject: String
    /// The Mustache template of the body of one error's mail (its text, read from `worker/templates`).
    public var body: String
    /// The Mustache template of a digest mail.
    public var digest: String
    /// How mail storms are contained.
    public var storm: StormControlConfiguration

    public init(
        smtp: SMTPConfiguration = SMTPConfiguration(),
        from: String = "beacon@localhost",
        to: [String] = ["ops@localhost"],
        subject: String = MailSinkConfiguration.defaultSubject,
        body: String,
        digest: String,
        storm: StormControlConfiguration = StormControlConfiguration()
    ) {
        self.smtp = smtp
        self.from = from
        self.to = to
        self.subject = subject
        self.body = body
        self.digest = digest
        self.storm = storm
    }

    /// `[web] ERROR: GET /boom failed`.
    public static let defaultSubject = "[{{service}}] {{levelname}}: {{message}}"
}

/// How the worker reaches its SMTP server.
public struct SMTPConfiguration: Sendable {
    /// When the connection is encrypted with STARTTLS (`smtps://` URLs use TLS from the first byte whatever this says).
    public enum StartTLS: String, Sendable, CaseIterable {
        /// Always: no mail goes out over a server that does not offer it.
        case required
        /// When the server offers it.
        case optional
        /// Never.
        case never
    }

    /// `smtp://host:port` or `smtps://host:port`; a `user:password@` in it logs in with SMTP AUTH (`SMTP_URL`).
    public var url: String
    /// Whether STARTTLS is required, tried or not used.
    public var startTLS: StartTLS
    /// A file of CA certificates to verify the server with; nil for the system's.
    public var caFile: String?
    /// The longest connecting may take.
    public var connectTimeout: Duration
    /// The longest a whole mail may take.
    public var timeout: Duration

    public init(
        url: String = "smtp://127.0.0.1:1025",
        startTLS: StartTLS = .optional,
        caFile: String? = nil,
        connectTimeout: Duration = .seconds(10),
        timeout: Duration = .seconds(30)
    ) {
        self.url = url
        self.startTLS = startTLS
        self.caFile = caFile
        self.connectTimeout = connectTimeout
        self.timeout = timeout
    }
}

/// Storm control: identical errors (same fingerprint) within `window` give one mail, then one digest with the count;
/// and no more than `maxMailsPerMinute` mails go out in any minute (the rest wait in the next digest).
public struct StormControlConfiguration: Sendable {
    /// How long identical errors are held back after their mail.
    public var window: Duration
    /// The most mails (digests included) in any minute.
    public var maxMailsPerMinute: Int

    public init(window: Duration = .seconds(300), maxMailsPerMinute: Int = 20) {
        self.window = window
        self.maxMailsPerMinute = maxMailsPerMinute
    }
}
