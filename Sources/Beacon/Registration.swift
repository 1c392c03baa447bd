/// What the registry needs to know of a receiver, whatever its payload and output types. Keeping the registry and the
/// arranging of receivers free of those types makes connecting cheap: generic code that runs unspecialised (as
/// everything behind `connect` and `cancel` does) pays for every copy and every type it touches.
protocol RegisteredReceiver: AnyObject, Sendable {
    var isAsynchronous: Bool { get }
    var isOwnerBound: Bool { get }
    var isAlive: Bool { get }
}

extension Receiver: RegisteredReceiver {}

/// One connection, as the registry keeps it while it lasts: the receiver, what it listens to, and its place in the order.
struct Registration: Sendable {
    let receiver: any RegisteredReceiver
    /// What the receiver listens to; nil for any sender.
    let sender: SenderMatch?
    /// An object sender, held weakly: nil once it is deallocated, which is how a dead sender is noticed.
    weak let senderObject: (any AnyObject & Sendable)?
    /// The same object, held unowned. An unowned reference keeps the object's memory (not the object) allocated after
    /// it dies, so no new object can be created at its address while this registration exists — and a registration is
    /// dropped only after a snapshot without it is published. That is what makes matching by address sound: a live
    /// object whose address is in a snapshot is the object that was connected. Never read it (not even against nil):
    /// reading an unowned reference to a dead object traps.
    unowned let senderAddressPin: (any AnyObject & Sendable)?
    let connection: any ConnectionHandle

    init(receiver: any RegisteredReceiver, sender: Sender?, connection: any ConnectionHandle) {
        self.receiver = receiver
        self.sender = sender.map(SenderMatch.init)
        self.connection = connection
        self.senderObject = sender?.object
        self.senderAddressPin = sender?.object
    }

    /// Whether this registration can die: it depends on an object sender or on its receiver's owner.
    var isMortal: Bool {
        if case .object = sender {
            return true
        }
        return receiver.isOwnerBound
    }

    /// Why this registration can no longer deliver anything, if it cannot: its object sender or its receiver's owner is
    /// gone.
    @inline(__always)
    var deathReason: ReceiverChange.Reason? {
        if case .object = sender, senderObject == nil {
            return .senderDeallocated
        }
        if !receiver.isAlive {
            return .ownerDeallocated
        }
        return nil
    }

    /// The sender this registration listens to, while it exists; nil for any sender.
    var liveSender: Sender? {
        switch sender {
        case nil: nil
        case .object: senderObject.map { Sender(object: $0, valueKey: nil) }
        case .value(let key): Sender(object: nil, valueKey: key)
        }
    }

    /// Whether a send from the sender matched by `sender` (nil for no sender) reaches this registration.
    func isReached(by sender: SenderMatch?) -> Bool {
        self.sender == nil || self.sender == sender
    }
}
