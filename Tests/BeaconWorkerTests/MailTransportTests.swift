import Foundation
import Glibc
import IntegrationSupport
import Testing

@testable import BeaconWorker

/// SMTPClient (libcurl) against real aiosmtpd servers: STARTTLS and SMTPS with a certificate of the test's own,
/// AUTH LOGIN/PLAIN with the credentials of the URL, STARTTLS required against a server without it.
@Suite(.serialized) struct MailTransportTests {
    /// An aiosmtpd server with TLS and AUTH (user `beacon`, password `s3cret`), mail kept in a Maildir.
    struct SecureServer {
        let port: Int
        let pid: pid_t
        let maildir: Maildir
        let certificate: String

        enum Mode: String {
            case startTLS = "starttls"
            case smtps
        }

        static func start(_ mode: Mode) throws -> SecureServer {
            let folder = try TestServices.temporaryDirectory()
            let certificate = folder.appendingPathComponent("cert.pem").path
            let key = folder.appendingPathComponent("key.pem").path
            try ExternalCommand.run(
                "openssl",
                [
                    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                ]
            )
            let maildir = folder.appendingPathComponent("mail")
            for sub in ["tmp", "new", "cur"] {
                try FileManager.default.createDirectory(at: maildir.appendingPathComponent(sub), withIntermediateDirectories: true)
            }
            let script = folder.appendingPathComponent("server.py").path
            try Self.script.write(toFile: script, atomically: true, encoding: .utf8)
            let port = try TestServices.freePort()
            let python = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3"
            let pid = try ChildProcess.start(
                [python, script, mode.rawValue, String(port), maildir.path, certificate, key],
                output: folder.appendingPathComponent("server.log").path
            )
            let server = SecureServer(port: port, pid: pid, maildir: Maildir(maildir), certificate: certificate)
            guard try Self.listens(port) else {
                server.stop()
                throw TestFailure("the TLS SMTP server did not start: see \(folder.path)/server.log")
            }
            return server
        }

        func stop() {
            kill(pid, SIGTERM)
            ChildProcess.wait(pid)
        }

        private static func listens(_ port: Int) throws -> Bool {
            for _ in 0..<200 {
                let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = in_port_t(UInt16(port).bigEndian)
                address.sin_addr.s_addr = inet_addr("127.0.0.1")
                let connected = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                close(descriptor)
                if connected == 0 { return true }
                usleep(50_000)
            }
            return false
        }

        static let script = """
            import asyncio, signal, ssl, sys
            from aiosmtpd.controller import Controller
            from aiosmtpd.handlers import Mailbox
            from aiosmtpd.smtp import AuthResult, LoginPassword

            mode, port, maildir, certificate, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(certificate, key)

            def authenticate(server, session, envelope, mechanism, data):
                return AuthResult(success=isinstance(data, LoginPassword) and data.login == b"beacon" and data.password == b"s3cret")

            options = dict(hostname="127.0.0.1", port=port, authenticator=authenticate, auth_required=True)
            if mode == "starttls":
                options.update(tls_context=context, require_starttls=True)
            else:
                # TLS from the first byte: aiosmtpd does not count it as TLS for AUTH unless told.
                options.update(ssl_context=context, server_hostname="127.0.0.1", auth_require_tls=False)
            controller = Controller(Mailbox(maildir), **options)
            controller.start()
            signal.sigwait({signal.SIGTERM, signal.SIGINT})
            controller.stop()
            """
    }

    func send(url: String, startTLS: SMTPConfiguration.StartTLS, caFile: String?) throws(SMTPClient.Failure) -> String {
        let client = SMTPClient(
            configuration: SMTPConfiguration(url: url, startTLS: startTLS, caFile: caFile, connectTimeout: .seconds(5), timeout: .seconds(10))
        )
        let id = UUID().uuidString
        let message = MailMessage(
            from: "beacon@localhost",
            to: ["ops@localhost"],
            subject: "tls \(id)",
            body: "body\n",
            messageID: id,
            date: 1_763_720_130
        )
        try client.send(from: "beacon@localhost", to: ["ops@localhost"], message: message.rendered(host: "h"))
        return id
    }

    @Test func sendsOverSTARTTLSWithAUTH() throws {
        let server = try SecureServer.start(.startTLS)
        defer { server.stop() }
        let id = try send(url: "smtp://beacon:s3cret@127.0.0.1:\(server.port)", startTLS: .required, caFile: server.certificate)
        #expect(try server.maildir.messages(containing: id).count == 1)
    }

    @Test func sendsOverSMTPSWithAUTH() throws {
        let server = try SecureServer.start(.smtps)
        defer { server.stop() }
        let id = try send(url: "smtps://beacon:s3cret@127.0.0.1:\(server.port)", startTLS: .never, caFile: server.certificate)
        #expect(try server.maildir.messages(containing: id).count == 1)
    }

    @Test func aWrongPasswordIsRefusedAndNotShown() throws {
        let server = try SecureServer.start(.startTLS)
        defer { server.stop() }
        #expect {
            _ = try send(url: "smtp://beacon:wrong-password@127.0.0.1:\(server.port)", startTLS: .required, caFile: server.certificate)
        } throws: { error in
            let failure = error as? SMTPClient.Failure
            return failure?.message.contains("wrong-password") == false && failure?.message.contains("[REDACTED]") == true
        }
    }

    @Test func anUntrustedCertificateIsRefused() throws {
        let server = try SecureServer.start(.startTLS)
        defer { server.stop() }
        #expect(throws: SMTPClient.Failure.self) {
            _ = try send(url: "smtp://beacon:s3cret@127.0.0.1:\(server.port)", startTLS: .required, caFile: nil)
        }
    }

    @Test func startTLSRequiredRefusesAServerWithoutIt() throws {
        let url = try TestServices.smtpURL()
        #expect {
            _ = try send(url: url, startTLS: .required, caFile: nil)
        } throws: { error in
            (error as? SMTPClient.Failure)?.isPermanent == false
        }
    }
}
