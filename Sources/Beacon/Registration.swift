/// One connection, as the registry keeps it while it lasts: the receiver, what it listens to, and its place in the order.
struct Registration<Payload: Sendable, Output: Sendable>: Sendable {
    /// Registration order within the signal: sends run receivers in this order.
    let order: UInt64
    let receiver: Receiver<Payload, Output>
    /// What the receiver listens to; nil for any sender.
    let sender: SenderMatch?
    /// An object sender, held weakly: nil once it is deallocated, which is how a dead sender is noticed.
    weak let senderObject: (any AnyObject & Sendable)?
    /// The same object, held unowned. An unowned reference keeps the object's memory (not the object) allocated after
    /// it dies, so no new object can be created at its address while this registration exists — and a registration is
    /// dropped only after a snapshot without it is published. That is what makes matching by address sound: a live
    /// object whose address is in a snapshot is the object that was connected.
    unowned let senderAddressPin: (any AnyObject & Sendable)?
    let connection: Connection<Payload, Output>

    init(order: UInt64, receiver: Receiver<Payload, Output>, sender: Sender?, connection: Connection<Payload, Output>) {
        self.order = order
        self.receiver = receiver
        self.sender = sender.map(SenderMatch.init)
        self.connection = connection
        if case .object(let object) = sender?.identity {
            self.senderObject = object
            self.senderAddressPin = object
        } else {
            self.senderObject = nil
            self.senderAddressPin = nil
        }
    }

    /// Why this registration can no longer deliver anything, if it cannot: its object sender or its receiver's owner is
    /// gone.
    var deathReason: ReceiverChange.Reason? {
        if case .object = sender, senderObject == nil {
            return .senderDeallocated
        }
        if !receiver.isAlive {
            return .ownerDeallocated
        }
        return nil
    }

    /// Whether a send from `sender` reaches this registration.
    func isReached(by sender: Sender?) -> Bool {
        self.sender == nil || self.sender == sender.map(SenderMatch.init)
    }
}
