public import BeaconTasksCore
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Celery's eager mode for tests: a ``TaskEnqueuer`` that runs each task at once, in the enqueuing task, with the
/// handler registered for it, and records everything enqueued. No broker, no worker.
///
/// ```swift
/// let tasks = EagerTaskQueue()
/// tasks.register(SendReceipt.self) { arguments in SendReceipt.Output(messageID: "test-\(arguments.orderID)") }
/// let checkout = Checkout(tasks: tasks)              // the code under test takes `any TaskEnqueuer`
/// _ = try await checkout.placed(order)
/// #expect(tasks.enqueued(SendReceipt.self).map(\.arguments.email) == ["ada@example.com"])
/// ```
///
/// Arguments and outputs go through JSON as on the wire, so a type that would not travel fails here too: arguments
/// that do not encode to a JSON object or array are refused at enqueue (``TaskEncodingError``), an output that does not decode fails the
/// handle's ``TaskHandle/result(timeout:)``. A handler that throws gives a FAILURE (a ``TaskFailure`` as is, another
/// error as its type name and description). A task without a handler is recorded and not run: its handle's result
/// throws ``TaskClientError/Code/noResult``.
public final class EagerTaskQueue: TaskEnqueuer {
    /// One task as it was enqueued.
    public struct Enqueued: Sendable {
        /// The task's name.
        public var name: String
        /// The id its handle has.
        public var id: String
        /// Its arguments as JSON (kwargs for a struct, args for an array).
        public var arguments: JSONValue
        /// The options it was enqueued with (the task's defaults when none were given).
        public var options: TaskOptions
    }

    private typealias Handler = @Sendable (JSONValue, String) async -> TaskResultMessage

    private struct State {
        var enqueued: [Enqueued] = []
        var handlers: [String: Handler] = [:]
    }

    private let state = Mutex(State())

    /// An empty queue with no handlers.
    public init() {}

    /// Runs `handler` for every enqueue of `task` from now on (replacing an earlier handler for it).
    public func register<T: TaskDefinition>(_ task: T.Type, handler: @escaping @Sendable (T.Arguments) async throws -> T.Output) {
        let run: Handler = { arguments, id in
            do {
                let decoded = try TaskCoding.decode(T.Arguments.self, from: arguments)
                return try TaskResultMessage.success(T.self, taskID: id, output: try await handler(decoded))
            } catch let failure as TaskFailure {
                return .failure(taskID: id, failure)
            } catch {
                return .failure(taskID: id, TaskFailure(describing: error))
            }
        }
        state.withLock { $0.handlers[T.name] = run }
    }

    /// Records the task and, when a handler is registered for it, runs it before returning.
    public func enqueue<T: TaskDefinition>(_ task: T.Type, _ arguments: T.Arguments, options: TaskOptions?) async throws -> TaskHandle<T> {
        let options = options ?? T.defaultOptions
        let json = try TaskCoding.arguments(arguments, of: T.self)
        let id = options.taskID ?? UUID().uuidString.lowercased()
        let handler = state.withLock { state in
            state.enqueued.append(Enqueued(name: T.name, id: id, arguments: json, options: options))
            return state.handlers[T.name]
        }
        guard let handler, !options.ignoreResult else {
            return TaskHandle(id: id, slot: nil)
        }
        let slot = ResultSlot(taskID: id) { _, _ in }
        slot.settle(.success(await handler(json, id)))
        return TaskHandle(id: id, slot: slot)
    }

    /// Everything enqueued so far, in order.
    public var enqueued: [Enqueued] { state.withLock { $0.enqueued } }

    /// The enqueues of `task`, with their arguments decoded (those that do not decode as `T.Arguments` are left out).
    public func enqueued<T: TaskDefinition>(_ task: T.Type) -> [(id: String, arguments: T.Arguments, options: TaskOptions)] {
        enqueued.filter { $0.name == T.name }.compactMap { entry in
            (try? TaskCoding.decode(T.Arguments.self, from: entry.arguments)).map { (entry.id, $0, entry.options) }
        }
    }

    /// Forgets what was enqueued (the handlers stay).
    public func removeAll() { state.withLock { $0.enqueued.removeAll() } }
}
