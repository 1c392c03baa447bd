/// Who sends a signal: a receiver may listen to one sender only, and a send may name its sender.
///
/// Say how the sender is matched:
/// - ``object(_:)``: an object, matched by identity and held weakly by the receivers connected to it. When it is
///   deallocated its receivers are disconnected, and a new object that happens to get the same address never reaches
///   them.
/// - ``value(_:)``: a value, matched by equality *and type*: `.value(true)`, `.value(1)`, `.value(UInt8(1))` and
///   `.value(1.0)` are four different senders, although `AnyHashable` considers the last three equal. An object given
///   to `.value` (a `Hashable` class instance, whose type the call site knows to be a class) is an object sender, the
///   same as `.object` of it: connecting with one and sending with the other reaches the receiver. To match a class
///   instance by equality instead, wrap it in a `Hashable` struct.
///
/// Two senders are equal when they match the same receivers: the same object, or equal values of the same type.
///
/// ```swift
/// app.signals.requestFinished.connect(from: .object(app)) { event in … }
/// app.signals.requestFinished.send(event, from: .object(app))
/// ```
public struct Sender: Sendable, Hashable, CustomStringConvertible {
    /// The object of an object sender; nil for a value sender. A `Sender` keeps it alive, so its identity cannot be
    /// reused while a send is under way. Compare it with `===`: `sender?.object === app`.
    public let object: (any AnyObject & Sendable)?
    /// The object's identity, apart so that a send looks it up without touching the reference.
    @usableFromInline let objectIdentifier: ObjectIdentifier?
    /// A value sender's type and value.
    @usableFromInline let valueKey: ValueSenderKey?

    @inlinable
    init(object: (any AnyObject & Sendable)?, valueKey: ValueSenderKey?) {
        self.object = object
        self.objectIdentifier = object.map(ObjectIdentifier.init)
        self.valueKey = valueKey
    }

    /// An object sender, matched by identity.
    @inlinable
    public static func object(_ object: some AnyObject & Sendable) -> Sender {
        Sender(object: object, valueKey: nil)
    }

    /// A value sender, matched by type and equality.
    @inlinable
    public static func value<Value: Hashable & Sendable>(_ value: Value) -> Sender {
        Sender(object: nil, valueKey: ValueSenderKey(value))
    }

    /// An object given as a value is an object sender, matched by identity: `.value(object)` is `.object(object)`, so
    /// that a receiver connected with either hears sends made with the other.
    @inlinable
    public static func value<Value: AnyObject & Hashable & Sendable>(_ value: Value) -> Sender {
        Sender(object: value, valueKey: nil)
    }

    /// The value of a value sender, if it is a `Value`; nil for another type or an object sender.
    public func value<Value: Hashable & Sendable>(as type: Value.Type = Value.self) -> Value? {
        valueKey?.value.base as? Value
    }

    /// Whether both match the same receivers: the same object, or equal values of the same type.
    public static func == (lhs: Sender, rhs: Sender) -> Bool {
        lhs.objectIdentifier == rhs.objectIdentifier && lhs.valueKey == rhs.valueKey
    }

    /// Hashes what ``==`` compares.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(objectIdentifier)
        hasher.combine(valueKey)
    }

    /// `Type object 0x…` for an object, `value (Type)` for a value.
    public var description: String {
        if let object, let objectIdentifier {
            return "\(type(of: object)) object \(objectIdentifier.addressDescription)"
        }
        return valueKey?.description ?? "no sender"
    }
}

/// A value sender's key: its type and its value. The type keeps `Int(1)`, `UInt8(1)`, `1.0` and `true` apart.
///
/// A class, so that a ``Sender`` holds references and no existential container: a send copies and reads it directly,
/// not through value witnesses.
@usableFromInline
final class ValueSenderKey: Hashable, Sendable, CustomStringConvertible {
    @usableFromInline let type: ObjectIdentifier
    /// Built only from a `Hashable & Sendable` value (see the initialiser), so sharing it across threads is safe.
    @usableFromInline nonisolated(unsafe) let value: AnyHashable

    @inlinable
    init<Value: Hashable & Sendable>(_ value: Value) {
        self.type = ObjectIdentifier(Value.self)
        self.value = AnyHashable(value)
    }

    @usableFromInline
    static func == (lhs: ValueSenderKey, rhs: ValueSenderKey) -> Bool {
        lhs.type == rhs.type && lhs.value == rhs.value
    }

    @usableFromInline
    func hash(into hasher: inout Hasher) {
        hasher.combine(type)
        hasher.combine(value)
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
        if let objectIdentifier = sender.objectIdentifier {
            self = .object(objectIdentifier)
        } else {
            self = .value(sender.valueKey!)
        }
    }
}

extension ObjectIdentifier {
    /// `0x…`, the address the identifier stands for.
    var addressDescription: String {
        "0x" + String(UInt(bitPattern: self), radix: 16)
    }
}
