import Hummingbird
import Synchronization

/// The end of one request, run exactly once: after its response has been written (with the write's error, if any),
/// or, when the response is dropped unwritten (the client went away before its head was sent), when it is released.
final class RequestCompletion: Sendable {
    private let done = Atomic<Bool>(false)
    private let work: @Sendable ((any Error)?) async -> Void

    init(_ work: @escaping @Sendable ((any Error)?) async -> Void) {
        self.work = work
    }

    func finish(writeError: (any Error)?) async {
        guard !done.exchange(true, ordering: .acquiringAndReleasing) else { return }
        await work(writeError)
    }

    deinit {
        guard !done.load(ordering: .acquiring) else { return }
        let work = work
        // Nobody awaits a deinit: the request's end runs in a task of its own.
        Task { await work(WebError(.responseNotWritten, "the response was dropped before it was written")) }
    }
}

extension ResponseBody {
    /// This body, then `completion` once it has been written or has failed to be.
    func finishing(with completion: RequestCompletion) -> ResponseBody {
        let body = self
        return ResponseBody(contentLength: contentLength) { writer in
            do {
                try await body.write(writer)
            } catch {
                await completion.finish(writeError: error)
                throw error
            }
            await completion.finish(writeError: nil)
        }
    }
}
