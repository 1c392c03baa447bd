import Beacon
import Logging

extension BeaconApp {
    /// Sends `payload` on `signal` from the app, running every receiver. A failing receiver never fails the caller: the
    /// signals' error handler (``receiverErrorLogger(_:)``) logs its error.
    func emit<Payload: Sendable>(_ signal: Signal<Payload>, _ payload: Payload) async {
        await signal.send(payload, from: sender)
    }

    /// The error handler of the app's signals: logs each receiver error once, on `logger`, with the request id when the
    /// payload belongs to a request.
    static func receiverErrorLogger(_ logger: Logger) -> ReceiverErrorHandler {
        { failure in
            var logger = logger
            if let request = (failure.anyPayload as? any RequestSignalPayload)?.request {
                logger[metadataKey: RequestScope.loggerMetadataKey] = .stringConvertible(request)
            }
            logger.error(
                "a receiver of signal '\(failure.signalName ?? "?")' failed: \(failure.error)",
                metadata: [
                    "receiver": "\(failure.receiverDescription)",
                    "error.type": "\(String(reflecting: type(of: failure.error)))",
                ]
            )
        }
    }
}

/// The payload of a signal sent for one request: its receivers' errors are logged with the request id.
protocol RequestSignalPayload: Sendable {
    /// The request the signal was sent for.
    var request: RequestScope { get }
}

extension RequestStarted: RequestSignalPayload {}
extension RequestFinished: RequestSignalPayload {}
extension RequestException: RequestSignalPayload {}
extension RequestTeardown: RequestSignalPayload {}
extension AppContextChange: RequestSignalPayload {}
