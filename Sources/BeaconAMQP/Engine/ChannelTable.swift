/// The logical channels of one connection, by the id the application holds and by the wire number the broker knows.
///
/// Ids are never reused; wire numbers are: a new channel takes the lowest number that is free, up to the limit the
/// broker negotiated (`channel_max`, 0 meaning 65,535). The table decides nothing about the socket: the engine
/// opens and closes the channels it hands out.
struct ChannelTable {
    private var byID: [UInt64: ChannelState] = [:]
    private var byNumber: [UInt16: ChannelState] = [:]
    private var nextID: UInt64 = 1

    /// The usable channel numbers for a negotiated (or configured) `channel_max`.
    static func limit(channelMax: Int) -> Int { channelMax == 0 ? 65_535 : min(channelMax, 65_535) }

    var isEmpty: Bool { byID.isEmpty }

    /// Every channel, in the order they were added (reopened in that order after a reconnect).
    var inOrder: [ChannelState] { byID.values.sorted { $0.shared.id < $1.shared.id } }

    /// Every channel, in no particular order.
    var all: Dictionary<UInt64, ChannelState>.Values { byID.values }

    subscript(id id: UInt64) -> ChannelState? { byID[id] }

    subscript(number number: UInt16) -> ChannelState? { byNumber[number] }

    /// The lowest wire number no channel uses, within `limit`; nil when all are taken.
    func freeNumber(limit: Int) -> UInt16? {
        (1...max(1, limit)).lazy.map { UInt16($0) }.first { byNumber[$0] == nil }
    }

    /// Registers a new channel on the lowest free number.
    mutating func add(limit: Int) throws(AMQPError) -> ChannelState {
        guard let number = freeNumber(limit: limit) else {
            throw AMQPError(code: .resourceError, message: "all \(limit) channel numbers are in use", context: "opening a channel")
        }
        let channel = ChannelState(shared: ChannelShared(id: nextID), number: number)
        nextID += 1
        byID[channel.shared.id] = channel
        byNumber[number] = channel
        return channel
    }

    /// Forgets a channel; its number is free again.
    mutating func remove(_ channel: ChannelState) {
        byID.removeValue(forKey: channel.shared.id)
        if byNumber[channel.number] === channel { byNumber.removeValue(forKey: channel.number) }
    }
}
