import Beacon
import Logging

extension BeaconApp {
    /// Sends `payload` on `signal` from the app, running every receiver, and logs each receiver's error once, on
    /// `logger` (a request's logger carries the request id). A failing receiver never fails the caller.
    func emit<Payload: Sendable>(_ signal: Signal<Payload>, _ payload: Payload, logger: Logger) async {
        let result = await signal.send(payload, from: sender)
        for failure in result.errors {
            logger.error(
                "a receiver of signal '\(signal.name ?? "?")' failed: \(failure.error)",
                metadata: ["receiver": "\(failure.receiver)", "error.type": "\(String(reflecting: type(of: failure.error)))"]
            )
        }
    }
}
