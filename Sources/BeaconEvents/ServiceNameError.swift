/// A service name that cannot be the first word of a routing key.
public struct ServiceNameError: Error, Hashable, CustomStringConvertible {
    /// The name refused.
    public let service: String

    public var description: String {
        "'\(service)' is not a service name: letters, digits, - and _, at most 64 (it is the first word of routing keys)"
    }
}
