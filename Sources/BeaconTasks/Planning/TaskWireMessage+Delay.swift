import BeaconAMQP

extension TaskWireMessage {
    /// This message, routed through `plan`'s ladder so that it reaches its queue (today's ``routingKey``, through the
    /// default exchange) no earlier than `delay` from now.
    ///
    /// The delay is rounded **up** to whole seconds, so that a message never arrives before its `eta` (Celery rounds
    /// down, and its worker then holds the early message unacknowledged until the `eta`). A delay under one second is
    /// not routed (the message is returned as it is): the worker waits out the rest of the `eta` itself. The
    /// `expiration` property is removed: a per-message TTL shorter than a level's would take the message out of the
    /// ladder early; the `expires` header stays, and the worker checks it on receipt.
    ///
    /// Throws ``DelayedDeliveryError`` when the delay is longer than the ladder's ``DelayedDeliveryPlan/maximumDelaySeconds``.
    public func delayed(by delay: Duration, through plan: DelayedDeliveryPlan) throws(DelayedDeliveryError) -> TaskWireMessage {
        let (seconds, attoseconds) = delay.components
        guard seconds >= 1 else { return self }
        let whole: Duration = .seconds(attoseconds > 0 && seconds < Int64.max ? seconds + 1 : seconds)
        guard let route = try plan.route(delay: whole, routingKey: routingKey) else { return self }
        var delayed = self
        delayed.exchange = route.exchange
        delayed.routingKey = route.routingKey
        delayed.properties.expiration = nil
        return delayed
    }
}
