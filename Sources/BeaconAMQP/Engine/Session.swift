import CAMQPShim
import CRabbitMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One live rabbitmq-c connection (`amqp_connection_state_t`): from the TCP/TLS connect and login to its destruction.
/// A reconnect makes a new session. Used only by the connection thread that opened it.
final class Session {
    let state: amqp_connection_state_t
    /// The socket, for `poll()`.
    let fd: Int32
    /// The negotiated limits.
    let channelMax: Int
    let heartbeatSeconds: Int
    /// Strings, tables and properties handed to rabbitmq-c for one round of sends.
    let scratch = ScratchPool()
    private var destroyed = false

    /// Where the system keeps its CA bundle, for `amqps` without `cacertfile` (rabbitmq-c 0.11 loads none by itself).
    static let systemCABundles = [
        "/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem", "/etc/ssl/ca-bundle.pem",
    ]

    /// Connects, negotiates TLS if configured, and logs in; throws the broker's or the socket's error.
    init(configuration: AMQPConfiguration) throws(AMQPError) {
        let context = "connecting to \(configuration.redactedURL)"
        guard let state = amqp_new_connection() else {
            throw AMQPError(code: .protocolError, message: "amqp_new_connection failed (out of memory)", context: context)
        }
        do throws(AMQPError) {
            let socket = try Self.makeSocket(state, configuration, context: context)
            var timeout = configuration.connectionTimeout.cTimeval
            errno = 0
            let status = amqp_socket_open_noblock(socket, configuration.host, Int32(configuration.port), &timeout)
            guard status == AMQP_STATUS_OK.rawValue else {
                let systemError = errno
                var error = AMQPError(status: status, context: context, systemError: systemError == EINPROGRESS ? 0 : systemError)
                switch error.code {
                case .timeout: error.message = "no connection within \(configuration.connectionTimeout.readable)"
                case .socketError where systemError == EINPROGRESS:
                    // rabbitmq-c learnt it from SO_ERROR after a non-blocking connect and kept no errno.
                    error.message = "could not connect to \(configuration.host):\(configuration.port) (connection refused or unreachable)"
                default: break
                }
                throw error
            }
            amqp_set_handshake_timeout(state, &timeout)
            var rpcTimeout = configuration.rpcTimeout.cTimeval
            amqp_set_rpc_timeout(state, &rpcTimeout)
            let scratch = ScratchPool()
            var properties = Self.clientProperties(configuration).cTable(in: scratch)
            let reply = beacon_amqp_login_plain(
                state,
                configuration.virtualHost,
                Int32(configuration.channelMax),
                Int32(configuration.frameMax),
                Int32(configuration.heartbeatSeconds),
                &properties,
                configuration.user,
                configuration.password
            )
            if let error = AMQPError(reply: reply, context: context) {
                throw Self.explainLoginFailure(error, configuration)
            }
        } catch {
            amqp_destroy_connection(state)
            throw error
        }
        self.state = state
        self.fd = amqp_get_sockfd(state)
        self.channelMax = Int(amqp_get_channel_max(state))
        self.heartbeatSeconds = Int(amqp_get_heartbeat(state))
    }

    deinit { destroy() }

    /// Closes the socket and frees rabbitmq-c's state (idempotent). The connection thread disarms its send guard first.
    func destroy() {
        guard !destroyed else { return }
        destroyed = true
        amqp_destroy_connection(state)
    }

    /// `connection.close` with a reply (bounded by the RPC timeout), then ``destroy()``.
    func close() {
        guard !destroyed else { return }
        _ = amqp_connection_close(state, AMQP_REPLY_SUCCESS)
        destroy()
    }

    /// Holds back partial TCP segments while `corked`, so a burst of publishes leaves in full segments.
    func cork(_ corked: Bool) {
        var value: Int32 = corked ? 1 : 0
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_CORK, &value, socklen_t(MemoryLayout<Int32>.size))
    }

    /// `basic.publish` with its content; rabbitmq-c's status.
    func publish(_ message: AMQPMessage, channel: UInt16) -> Int32 {
        let exchange = scratch.bytes(message.exchange)
        let routingKey = scratch.bytes(message.routingKey)
        var properties = message.properties.cProperties(in: scratch)
        return message.body.withUnsafeBytes { body in
            amqp_basic_publish(
                state,
                channel,
                exchange,
                routingKey,
                message.mandatory ? 1 : 0,
                0,
                &properties,
                amqp_bytes_t(len: body.count, bytes: UnsafeMutableRawPointer(mutating: body.baseAddress))
            )
        }
    }

    /// Sends a method that expects no reply (acks, close-ok…); rabbitmq-c's status.
    func send<Method: BitwiseCopyable>(_ id: amqp_method_number_t, channel: UInt16, _ method: Method) -> Int32 {
        withUnsafePointer(to: method) { amqp_send_method(state, channel, id, UnsafeMutableRawPointer(mutating: $0)) }
    }

    // MARK: Connecting

    private static func makeSocket(
        _ state: amqp_connection_state_t,
        _ configuration: AMQPConfiguration,
        context: String
    ) throws(AMQPError) -> OpaquePointer {
        guard let tls = configuration.tls else {
            guard let socket = amqp_tcp_socket_new(state) else {
                throw AMQPError(code: .socketError, message: "amqp_tcp_socket_new failed", context: context)
            }
            return socket
        }
        guard let socket = amqp_ssl_socket_new(state) else {
            throw AMQPError(code: .tls, message: "amqp_ssl_socket_new failed (OpenSSL could not be initialised)", context: context)
        }
        func check(_ status: Int32, _ what: String) throws(AMQPError) {
            guard status != AMQP_STATUS_OK.rawValue else { return }
            throw AMQPError(code: .tls, message: "\(what): \(String(cString: amqp_error_string2(status)))", libraryStatus: status, context: context)
        }
        try check(amqp_ssl_socket_set_ssl_versions(socket, AMQP_TLSv1_2, AMQP_TLSvLATEST), "TLS versions")
        if tls.verifyPeer {
            guard let caFile = tls.caCertificateFile ?? systemCABundles.first(where: { access($0, R_OK) == 0 }) else {
                throw AMQPError(
                    code: .invalidConfiguration,
                    message: "no CA certificates to verify the broker with: set cacertfile (no system bundle found)",
                    context: context
                )
            }
            try check(amqp_ssl_socket_set_cacert(socket, caFile), "loading the CA certificates from \(caFile)")
        }
        if let certificate = tls.certificateFile, let key = tls.keyFile {
            try check(amqp_ssl_socket_set_key(socket, certificate, key), "loading the client certificate \(certificate) and key \(key)")
        }
        amqp_ssl_socket_set_verify_peer(socket, tls.verifyPeer ? 1 : 0)
        amqp_ssl_socket_set_verify_hostname(socket, tls.verifyHostname ? 1 : 0)
        return socket
    }

    /// What the broker shows about this client, and the capabilities the client relies on: `connection.blocked`
    /// notifications, consumer-cancel notifications, nacks, and an explicit error on failed authentication.
    private static func clientProperties(_ configuration: AMQPConfiguration) -> AMQPTable {
        var properties: AMQPTable = [
            "product": "BeaconAMQP",
            "platform": "Swift",
            "information": .string("Beacon's AMQP 0-9-1 client over rabbitmq-c \(String(cString: amqp_version()))"),
            "capabilities": [
                "publisher_confirms": true, "exchange_exchange_bindings": true, "basic.nack": true,
                "consumer_cancel_notify": true, "connection.blocked": true, "authentication_failure_close": true,
                "per_consumer_qos": true,
            ],
        ]
        if let name = configuration.connectionName { properties["connection_name"] = .string(name) }
        return properties
    }

    /// Login failures that RabbitMQ reports by closing the socket get a hint at the usual causes.
    private static func explainLoginFailure(_ error: AMQPError, _ configuration: AMQPConfiguration) -> AMQPError {
        guard error.code == .connectionLost else { return error }
        var explained = error
        explained.message += " during the handshake (wrong user, password or vhost '\(configuration.virtualHost)'? see the broker log)"
        return explained
    }
}

extension AMQPError {
    /// The error in an RPC reply; `nil` for a normal reply.
    init?(reply: amqp_rpc_reply_t, context: String?) {
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            return nil
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            self.init(status: reply.library_error, context: context)
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            guard let error = AMQPError(closeMethod: reply.reply, context: context) else {
                self.init(code: .protocolError, message: "unexpected method 0x\(String(reply.reply.id, radix: 16)) from the broker", context: context)
                return
            }
            self = error
        default:
            self.init(code: .protocolError, message: "rabbitmq-c returned no reply", context: context)
        }
    }
}
