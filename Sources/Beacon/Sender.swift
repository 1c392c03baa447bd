/// Who sends a signal: a receiver may listen to one sender only, and a send may name its sender.
///
/// Say how the sender is matched:
/// - ``object(_:)``: an object, matched by identity and held weakly by the receivers connected to it. When it is
///   deallocated its receivers are disconnected, and a new object that happens to get the same address never reaches
///   them.
/// - ``value(_:)``: a value, matched by equality *and type*: `.value(true)`, `.value(1)`, `.value(UInt8(1))` and
///   `.value(1.0)` are four different senders, although `AnyHashable` considers the last three equal.
///
/// ```swift
/// app.signals.requestFinished.connect(from: .object(app)) { event in … }
/// app.signals.requestFinished.send(event, from: .object(app))
/// ```
public struct Sender: Sendable, CustomStringConvertible {
    @usableFromInline
    enum Identity: Sendable {
        /// The object itself: a `Sender` keeps it alive, so its identity cannot be reused while a send is under way.
        case object(any AnyObject & Sendable)
        case value(ValueSenderKey)
    }

    @usableFromInline let identity: Identity

    @inlinable
    init(identity: Identity) {
        self.identity = identity
    }

    /// An object sender, matched by identity.
    @inlinable
    public static func object(_ object: some AnyObject & Sendable) -> Sender {
        Sender(identity: .object(object))
    }

    /// A value sender, matched by type and equality.
    @inlinable
    public static func value<Value: Hashable & Sendable>(_ value: Value) -> Sender {
        Sender(identity: .value(ValueSenderKey(value)))
    }

    public var description: String {
        switch identity {
        case .object(let object): "\(type(of: object)) object \(ObjectIdentifier(object).addressDescription)"
        case .value(let key): key.description
        }
    }
}

/// A value sender's key: its type and its value. The type keeps `Int(1)`, `UInt8(1)`, `1.0` and `true` apart.
@usableFromInline
struct ValueSenderKey: Hashable, Sendable, CustomStringConvertible {
    @usableFromInline let type: ObjectIdentifier
    /// Built only from a `Hashable & Sendable` value (see the initialiser), so sharing it across threads is safe.
    @usableFromInline nonisolated(unsafe) let value: AnyHashable

    @inlinable
    init<Value: Hashable & Sendable>(_ value: Value) {
        self.type = ObjectIdentifier(Value.self)
        self.value = AnyHashable(value)
    }

    @usableFromInline
    var description: String {
        "\(value.base) (\(Swift.type(of: value.base)))"
    }
}

/// What a connection listens to: one object or one value (a connection for any sender has none).
enum SenderMatch: Hashable, Sendable {
    case object(ObjectIdentifier)
    case value(ValueSenderKey)

    init(_ sender: Sender) {
        switch sender.identity {
        case .object(let object): self = .object(ObjectIdentifier(object))
        case .value(let key): self = .value(key)
        }
    }
}

extension ObjectIdentifier {
    /// `0x…`, the address the identifier stands for.
    var addressDescription: String {
        "0x" + String(UInt(bitPattern: self), radix: 16)
    }
}
