import Beacon
import BeaconEvents
import BeaconOutbox
import BeaconTesting
import BeaconWebTesting
import Hummingbird
import HummingbirdTesting
import InMemoryLogging
import Logging
import Testing

@testable import BeaconWeb

/// A receiver that throws or is slow never breaks the response nor delays it beyond its own work.
@Suite struct ReceiverTests {
    struct ReceiverFailure: Error, CustomStringConvertible {
        var description: String { "receiver broke" }
    }

    @Test func aThrowingReceiverIsLoggedOnceAndChangesNothing() async throws {
        let test = try TestApp()
        let later = Counter()
        test.app.signals.requestStarted.connect { _ in throw ReceiverFailure() }
        test.app.signals.requestFinished.connect { _ in throw ReceiverFailure() }
        test.app.signals.requestFinished.connect { _ in later.increment() }
        try await test.test { client in
            try await client.execute(uri: "/hello", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "hello")
            }
        }
        #expect(later.value == 1, "the receivers after the failing one ran")
        let failures = test.logs.entries.filter { $0.message.description.contains("receiver broke") }
        #expect(failures.count == 2, "one line per failure")
        #expect(failures.map(\.level) == [.error, .error])
        #expect(failures.first?.message.description.hasPrefix("a receiver of signal 'request-started' failed") == true)
        #expect(failures.last?.message.description.hasPrefix("a receiver of signal 'request-finished' failed") == true)
        let requestID = test.signals.payloads(of: test.app.signals.requestStarted).first?.request.id
        #expect(failures.allSatisfy { $0.metadata["hb.request.id"]?.description == requestID })
        #expect(test.events.transport.events(kind: .request).count == 1, "the publisher, another receiver, still published")
    }

    @Test func aThrowingReceiverOfGotRequestExceptionKeepsThe500() async throws {
        let test = try TestApp()
        test.app.signals.gotRequestException.connect { _ in throw ReceiverFailure() }
        try await test.test { client in
            try await client.execute(uri: "/boom", method: .get) { response in
                #expect(response.status == .internalServerError)
            }
        }
        #expect(test.events.transport.events(kind: .error).count == 1)
    }

    @Test func aResponseDroppedUnwrittenStillEndsTheRequest() async throws {
        let ended = Box<(any Error)?>(nil)
        let gate = Gate()
        var completion: RequestCompletion? = RequestCompletion { error in
            ended.value = error
            gate.open()
        }
        #expect(completion != nil)
        completion = nil  // the server dropped the response: the client went away before its head was written
        await gate.wait(timeout: .seconds(10))
        #expect((ended.value as? WebError)?.code == .responseNotWritten)
    }

    @Test func aSlowReceiverDoesNotHoldTheResponse() async throws {
        let test = try TestApp()
        let gate = Gate()
        let receiverDone = Counter()
        test.app.signals.requestFinished.connect { _ async in
            await gate.wait(timeout: .seconds(10))
            receiverDone.increment()
        }
        try await test.test(setup: .live) { client in
            try await client.execute(uri: "/hello", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "hello")
            }
            #expect(receiverDone.value == 0, "the client has its response while the receiver still waits")
            gate.open()
        }
        #expect(receiverDone.value == 1)
    }
}
