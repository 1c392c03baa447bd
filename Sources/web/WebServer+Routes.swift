import BeaconWeb
import Foundation
import Hummingbird

extension WebServer {
    /// The server's router with the demo routes: `GET /hello`, `GET /boom`, `POST /echo`, `POST /orders`, beside
    /// `/healthz` and `/metrics`.
    func demoRouter() -> Router<BasicBeaconRequestContext> {
        let router = router()
        router.get("hello") { _, _ in "Hello, world!\n" }
        router.get("boom") { _, _ -> String in
            throw DemoFailure(reason: "deliberate failure for the error pipeline")
        }
        router.post("echo") { request, context -> Response in
            let body = try await request.body.collect(upTo: context.maxUploadSize)
            guard (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView), options: [.fragmentsAllowed])) != nil else {
                throw HTTPError(.badRequest, message: "the body is not JSON")
            }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
        }
        Self.addOrderRoute(to: router)
        return router
    }
}

/// What `GET /boom` throws: an error no handler takes, so it becomes a 500 and an error event.
struct DemoFailure: Error, CustomStringConvertible {
    let reason: String
    var description: String { "boom: \(reason)" }
}
