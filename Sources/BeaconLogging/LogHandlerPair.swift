public import Logging

/// Two swift-log handlers as one, as `MultiplexLogHandler([first, second])` but with both types known: the web's
/// console line and its events.
///
/// A request's logger sets its metadata (the request id) once or twice a request. `MultiplexLogHandler` keeps its
/// handlers in an array of existentials, so each set copies that array and each handler's box; a pair holds both
/// handlers inline, so a set is two dictionary writes.
///
/// It behaves as the multiplexer does: a record goes to each handler whose level lets it through; the level reads as
/// the lower of the two and sets both; metadata sets both, and reads as both merged (`second` winning), a key from
/// whichever has it (`first` first).
public struct LogHandlerPair<First: LogHandler, Second: LogHandler>: LogHandler {
    public var first: First
    public var second: Second

    public init(_ first: First, _ second: Second) {
        self.first = first
        self.second = second
    }

    public func log(event: LogEvent) {
        if first.logLevel <= event.level { first.log(event: event) }
        if second.logLevel <= event.level { second.log(event: event) }
    }

    public var logLevel: Logger.Level {
        get { min(first.logLevel, second.logLevel) }
        set {
            first.logLevel = newValue
            second.logLevel = newValue
        }
    }

    public var metadata: Logger.Metadata {
        get { first.metadata.merging(second.metadata) { _, second in second } }
        set {
            first.metadata = newValue
            second.metadata = newValue
        }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get {
            switch (first.metadataProvider, second.metadataProvider) {
            case (let first?, let second?): .multiplex([first, second])
            case (let provider, nil), (nil, let provider): provider
            }
        }
        set {
            first.metadataProvider = newValue
            second.metadataProvider = newValue
        }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { first[metadataKey: key] ?? second[metadataKey: key] }
        set {
            first[metadataKey: key] = newValue
            second[metadataKey: key] = newValue
        }
    }
}
