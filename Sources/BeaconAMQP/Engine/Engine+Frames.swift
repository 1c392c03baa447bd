import CAMQPShim
import CRabbitMQ
import DequeModule
import Logging
import Synchronization

// Frames from the broker, as the connection thread reads them. Everything is copied out of rabbitmq-c's buffers here:
// they are released at the end of each round.

extension Engine {
    func handle(_ frame: amqp_frame_t, _ session: Session) {
        switch Int32(frame.frame_type) {
        case AMQP_FRAME_METHOD:
            if frame.channel == 0 {
                handleConnectionMethod(frame.payload.method, session)
            } else if let channel = channels[number: frame.channel] {
                handleChannelMethod(frame.payload.method, channel, session)
            }
        case AMQP_FRAME_HEADER:
            guard let channel = channels[number: frame.channel], channel.incoming != nil else { return }
            let header = frame.payload.properties
            channel.incoming!.hasHeader = true
            let bodySize = Int(clamping: header.body_size)
            channel.incoming!.bodySize = bodySize
            channel.incoming!.properties = AMQPProperties(header.decoded.assumingMemoryBound(to: amqp_basic_properties_t.self).pointee)
            // The header's size is the peer's word: memory beyond a megabyte is taken as body frames really arrive.
            channel.incoming!.body.reserveCapacity(min(bodySize, 1 << 20))
            if channel.incoming!.isComplete { completeContent(on: channel, session) }
        case AMQP_FRAME_BODY:
            guard let channel = channels[number: frame.channel], channel.incoming != nil else { return }
            channel.incoming!.body.append(contentsOf: frame.payload.body_fragment.buffer)
            if channel.incoming!.isComplete { completeContent(on: channel, session) }
        default:
            break
        }
    }

    private func handleConnectionMethod(_ method: amqp_method_t, _ session: Session) {
        switch method.id {
        case AMQP_CONNECTION_CLOSE_METHOD:
            let error =
                AMQPError(closeMethod: method, context: "connection closed by the broker") ?? AMQPError(code: .connectionLost, message: "closed")
            _ = session.send(AMQP_CONNECTION_CLOSE_OK_METHOD, channel: 0, amqp_connection_close_ok_t())
            lose(error)
        case AMQP_CONNECTION_BLOCKED_METHOD:
            let reason = method.decoded.assumingMemoryBound(to: amqp_connection_blocked_t.self).pointee.reason.string
            blockPublishing(reason)
        case AMQP_CONNECTION_UNBLOCKED_METHOD:
            blockPublishing(nil)
        default:
            logger.debug("AMQP: ignored connection method", metadata: ["amqp.method": "0x\(String(method.id, radix: 16))"])
        }
    }

    private func handleChannelMethod(_ method: amqp_method_t, _ channel: ChannelState, _ session: Session) {
        switch method.id {
        case AMQP_BASIC_ACK_METHOD:
            let ack = method.decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee
            channel.pipeline.confirm(tag: ack.delivery_tag, multiple: ack.multiple != 0, .confirmed)
        case AMQP_BASIC_NACK_METHOD:
            let nack = method.decoded.assumingMemoryBound(to: amqp_basic_nack_t.self).pointee
            channel.pipeline.confirm(tag: nack.delivery_tag, multiple: nack.multiple != 0, .nacked)
        case AMQP_BASIC_DELIVER_METHOD:
            let deliver = method.decoded.assumingMemoryBound(to: amqp_basic_deliver_t.self).pointee
            channel.incoming = IncomingContent(
                kind: .delivery(
                    consumerTag: deliver.consumer_tag.string,
                    deliveryTag: deliver.delivery_tag,
                    redelivered: deliver.redelivered != 0,
                    exchange: deliver.exchange.string,
                    routingKey: deliver.routing_key.string
                )
            )
        case AMQP_BASIC_RETURN_METHOD:
            let returned = method.decoded.assumingMemoryBound(to: amqp_basic_return_t.self).pointee
            let error = AMQPError(
                replyCode: returned.reply_code,
                replyText: returned.reply_text.string,
                context: "returned by the broker (exchange '\(returned.exchange.string)', routing key '\(returned.routing_key.string)')"
            )
            channel.incoming = IncomingContent(
                kind: .returned(error, exchange: returned.exchange.string, routingKey: returned.routing_key.string)
            )
        case AMQP_BASIC_GET_OK_METHOD:
            let getOK = method.decoded.assumingMemoryBound(to: amqp_basic_get_ok_t.self).pointee
            channel.incoming = IncomingContent(
                kind: .get(
                    deliveryTag: getOK.delivery_tag,
                    redelivered: getOK.redelivered != 0,
                    exchange: getOK.exchange.string,
                    routingKey: getOK.routing_key.string,
                    messageCount: getOK.message_count
                )
            )
        case AMQP_BASIC_GET_EMPTY_METHOD:
            channel.pendingGets.popFirst()?(.success(nil))
        case AMQP_BASIC_CANCEL_METHOD:
            let cancel = method.decoded.assumingMemoryBound(to: amqp_basic_cancel_t.self).pointee
            let tag = cancel.consumer_tag.string
            if let consumer = channel.consumers.removeValue(forKey: tag) {
                if !consumer.received.isEmpty {
                    consumer.sink.push(consumer.received)
                    consumer.received = []
                }
                consumer.sink.finish(
                    AMQPError(
                        code: .consumerCancelled,
                        message: "the broker cancelled the consumer (was the queue deleted?)",
                        context: "consuming from \(consumer.queue)"
                    )
                )
                logger.warning("AMQP consumer cancelled by the broker", metadata: ["amqp.queue": "\(consumer.queue)", "amqp.consumer": "\(tag)"])
            }
            if cancel.nowait == 0 {
                _ = session.send(AMQP_BASIC_CANCEL_OK_METHOD, channel: channel.number, amqp_basic_cancel_ok_t(consumer_tag: cancel.consumer_tag))
            }
        case AMQP_CHANNEL_CLOSE_METHOD:
            let error = AMQPError(closeMethod: method, context: "channel \(channel.number) closed by the broker")!
            _ = session.send(AMQP_CHANNEL_CLOSE_OK_METHOD, channel: channel.number, amqp_channel_close_ok_t())
            channelClosedByBroker(channel, error)
        case AMQP_CHANNEL_FLOW_METHOD:
            let flow = method.decoded.assumingMemoryBound(to: amqp_channel_flow_t.self).pointee
            _ = session.send(AMQP_CHANNEL_FLOW_OK_METHOD, channel: channel.number, amqp_channel_flow_ok_t(active: flow.active))
        default:
            logger.debug(
                "AMQP: ignored channel method",
                metadata: ["amqp.channel": "\(channel.number)", "amqp.method": "0x\(String(method.id, radix: 16))"]
            )
        }
    }

    /// A message (delivery, get, return) is complete: hand it to its consumer, get request or publish.
    private func completeContent(on channel: ChannelState, _ session: Session) {
        guard let content = channel.incoming else { return }
        channel.incoming = nil
        switch content.kind {
        case .delivery(let consumerTag, let deliveryTag, let redelivered, let exchange, let routingKey):
            guard let consumer = channel.consumers[consumerTag] else {
                // Its consumer was cancelled meanwhile: give the message back at once.
                _ = amqp_basic_reject(session.state, channel.number, deliveryTag, 1)
                return
            }
            let delivery = AMQPDelivery(
                deliveryTag: deliveryTag,
                redelivered: redelivered,
                exchange: exchange,
                routingKey: routingKey,
                properties: content.properties,
                body: content.body,
                messageCount: nil,
                receipt: channel.receipt
            )
            if consumer.received.isEmpty { consumersWithDeliveries.append(consumer) }
            consumer.received.append(delivery)
        case .get(let deliveryTag, let redelivered, let exchange, let routingKey, let messageCount):
            let delivery = AMQPDelivery(
                deliveryTag: deliveryTag,
                redelivered: redelivered,
                exchange: exchange,
                routingKey: routingKey,
                properties: content.properties,
                body: content.body,
                messageCount: messageCount,
                receipt: channel.receipt
            )
            channel.pendingGets.popFirst()?(.success(delivery))
        case .returned(let error, let exchange, let routingKey):
            channel.pipeline.returned(
                exchange: exchange,
                routingKey: routingKey,
                messageID: content.properties.messageID,
                body: content.body,
                error: error
            )
        }
    }

    /// `connection.blocked` (with the broker's reason) or `connection.unblocked` (`nil`).
    private func blockPublishing(_ reason: String?) {
        setBlocked(reason)
        if let reason {
            logger.warning("AMQP broker blocks publishing", metadata: ["amqp.reason": "\(reason)"])
        } else {
            logger.info("AMQP broker unblocked publishing")
        }
    }
}
