import CRabbitMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension AMQPError {
    /// A rabbitmq-c status (`amqp_status_enum`). For socket failures `systemError` (the `errno` right after the call)
    /// adds the operating system's reason, e.g. "Connection refused".
    init(status: Int32, context: String?, systemError: Int32 = 0) {
        let code: Code
        switch amqp_status_enum(rawValue: status) {
        case AMQP_STATUS_HOSTNAME_RESOLUTION_FAILED: code = .hostNotFound
        case AMQP_STATUS_SOCKET_ERROR, AMQP_STATUS_TCP_ERROR, AMQP_STATUS_TCP_SOCKETLIB_INIT_ERROR: code = .socketError
        case AMQP_STATUS_TIMEOUT: code = .timeout
        case AMQP_STATUS_HEARTBEAT_TIMEOUT: code = .heartbeatTimeout
        case AMQP_STATUS_CONNECTION_CLOSED, AMQP_STATUS_SOCKET_CLOSED: code = .connectionLost
        case AMQP_STATUS_SSL_ERROR, AMQP_STATUS_SSL_HOSTNAME_VERIFY_FAILED, AMQP_STATUS_SSL_PEER_VERIFY_FAILED,
            AMQP_STATUS_SSL_CONNECTION_FAILED, AMQP_STATUS_SSL_SET_ENGINE_FAILED:
            code = .tls
        default: code = .protocolError
        }
        var message = String(cString: amqp_error_string2(status))
        if code == .socketError, systemError != 0 { message += " (\(String(cString: strerror(systemError))))" }
        if code == .heartbeatTimeout { message = "no data from the broker for two heartbeat intervals: the connection is dead" }
        self.init(code: code, message: message, libraryStatus: status, context: context)
    }

    /// The error in a `connection.close` or `channel.close` method; `nil` for any other method.
    init?(closeMethod method: amqp_method_t, context: String?) {
        let replyCode: UInt16
        let replyText: amqp_bytes_t
        switch method.id {
        case AMQP_CONNECTION_CLOSE_METHOD:
            let close = method.decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
            (replyCode, replyText) = (close.reply_code, close.reply_text)
        case AMQP_CHANNEL_CLOSE_METHOD:
            let close = method.decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
            (replyCode, replyText) = (close.reply_code, close.reply_text)
        default:
            return nil
        }
        self.init(replyCode: replyCode, replyText: replyText.string, context: context)
    }

    /// A broker reply code and text, e.g. `404` and `NOT_FOUND - no queue 'x' in vhost '/'`: the redundant name prefix
    /// is dropped from the message (the code says it).
    init(replyCode: UInt16, replyText: String, context: String?) {
        let code = Code(replyCode: replyCode)
        var message = Substring(replyText)
        if message.hasPrefix(code.name + " - ") { message = message.dropFirst(code.name.count + 3) }
        if message == code.name, code == .noRoute { message = "no queue is bound to take it" }
        self.init(code: code, message: String(message), replyCode: replyCode, context: context)
    }
}
