import BeaconEvents
import BeaconFileSystem
import Foundation
import Glibc
import IntegrationSupport
import Testing

@testable import BeaconWorker

/// A datagram socket the test opens to receive what the sink sends: UDP on 127.0.0.1, or a unix socket.
final class DatagramReceiver {
    let descriptor: Int32
    let address: String

    init(udp: ()) throws {
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        self.descriptor = descriptor
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                guard bind(descriptor, raw, length) == 0, getsockname(descriptor, raw, &length) == 0 else { throw SystemCallError("bind", "udp") }
            }
        }
        self.address = "127.0.0.1:\(UInt16(bigEndian: address.sin_port))"
        try setTimeout()
    }

    init(unixPath path: String) throws {
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        self.descriptor = descriptor
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: path.utf8)
            buffer[path.utf8.count] = 0
        }
        try withUnsafePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                guard bind(descriptor, raw, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0 else { throw SystemCallError("bind", path) }
            }
        }
        self.address = path
        try setTimeout()
    }

    private func setTimeout() throws {
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        guard setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size)) == 0 else {
            throw SystemCallError("setsockopt", address)
        }
    }

    deinit { close(descriptor) }

    /// The next datagram, or nil after five seconds.
    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        return count < 0 ? nil : String(decoding: buffer[..<count], as: UTF8.self)
    }
}

@Suite struct SyslogSinkTests {
    let directory: String
    let clock = Fixtures.ManualClock()

    init() throws { directory = try TestServices.temporaryDirectory().path }

    func sink(_ transport: SyslogSinkConfiguration.Transport) throws -> SyslogSink {
        try SyslogSink(
            name: "syslog",
            configuration: SyslogSinkConfiguration(transport: transport, facility: .local3),
            journal: try SinkJournal(directory: directory, name: "syslog", dedupe: .init(), clock: clock.function)
        )
    }

    var event: Event {
        Fixtures.event(
            "boom \"quoted\" ] \n second line",
            level: .error,
            id: "0193f2c1-7a4e-7c3b-9f1d-2b6e8c0d4a51",
            requestID: "req\"9]",
            error: Event.ErrorDetails(type: "E", message: "m", fingerprint: "fp"),
            time: Event.Timestamp(millisecondsSince1970: 1_763_720_130_123)
        )
    }

    /// `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] MSG`, with local3 (19) × 8 + err (3) = 155.
    let expected =
        #"<155>1 2025-11-21T10:15:30.123Z test-host web 4242 error [event@32473 id="0193f2c1-7a4e-7c3b-9f1d-2b6e8c0d4a51" logger="web.request" request_id="req\"9\]" fingerprint="fp"] ERROR [req"9]] boom "quoted" ] \n second line"#

    @Test func sendsRFC5424OverUDP() throws {
        let receiver = try DatagramReceiver(udp: ())
        let port = try #require(Int(receiver.address.split(separator: ":")[1]))
        let sink = try sink(.udp(host: "127.0.0.1", port: port))
        #expect(sink.write([event]).allSatisfy { $0 == nil })
        #expect(receiver.receive() == expected)
        #expect(sink.journal.contains(event.id))
    }

    @Test func sendsRFC5424ToAUnixSocket() throws {
        let path = directory + "/log.sock"
        let receiver = try DatagramReceiver(unixPath: path)
        let sink = try sink(.unix(path: path))
        #expect(sink.write([event, Fixtures.event("second")]).allSatisfy { $0 == nil })
        #expect(receiver.receive() == expected)
        #expect(receiver.receive()?.hasSuffix("INFO [req-1] second") == true)
    }

    @Test func aMissingReceiverFailsTheEventsAndIsTriedAgainLater() throws {
        let path = directory + "/later.sock"
        let sink = try sink(.unix(path: path))
        let failed = sink.write([event])
        #expect(failed.first??.code == .syslog)
        #expect(!sink.journal.contains(event.id))
        let receiver = try DatagramReceiver(unixPath: path)
        #expect(sink.write([event]).allSatisfy { $0 == nil })
        #expect(receiver.receive() == expected)
    }

    @Test func sendsToTheLocalSyslog() throws {
        let sink = try SyslogSink(
            name: "local",
            configuration: SyslogSinkConfiguration(transport: .local, appName: "beacon-test"),
            journal: try SinkJournal(directory: directory, name: "local", dedupe: .init(), clock: clock.function)
        )
        #expect(sink.write([Fixtures.event("to syslog(3)")]).allSatisfy { $0 == nil })
        sink.close()
    }
}
