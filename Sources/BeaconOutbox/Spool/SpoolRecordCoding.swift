import SystemPackage

/// The spool's record format, little-endian:
///
/// | bytes | what |
/// | --- | --- |
/// | 2 | magic `0xBE 0xAC` |
/// | 4 | payload length |
/// | 4 | CRC-32 of the payload |
/// | 1 | routing key length *k* |
/// | *k* | routing key, UTF-8 |
/// | 1 | event id length *i* |
/// | *i* | event id, UTF-8 |
/// | rest of payload | the event's JSON |
enum SpoolRecordCoding {
    static let magic: (UInt8, UInt8) = (0xbe, 0xac)
    static let headerSize = 10
    /// A payload longer than this is framing damage, not a record.
    static let maximumPayload = 64 << 20

    enum ReadResult {
        /// A good record, and the offset of the next one.
        case record(EventSpool.Record, next: Int64)
        /// A framed record whose checksum or content is wrong, or bytes without a record frame (a damaged header),
        /// and the offset of the next good record.
        case damaged(next: Int64)
        /// No whole record here and none after it: the end of the data, or a write torn by a crash.
        case truncated
    }

    static func encodedSize(of record: EventSpool.Record) -> Int {
        headerSize + 2 + min(record.routingKey.utf8.count, 255) + min(record.eventID.utf8.count, 255) + record.body.count
    }

    static func encode(_ record: EventSpool.Record, into bytes: inout [UInt8]) {
        let key = record.routingKey.utf8.prefix(255)
        let id = record.eventID.utf8.prefix(255)
        var payload: [UInt8] = []
        payload.reserveCapacity(2 + key.count + id.count + record.body.count)
        payload.append(UInt8(key.count))
        payload += key
        payload.append(UInt8(id.count))
        payload += id
        payload += record.body
        bytes.append(magic.0)
        bytes.append(magic.1)
        appendLittleEndian(UInt32(payload.count), to: &bytes)
        appendLittleEndian(CRC32.checksum(payload), to: &bytes)
        bytes += payload
    }

    /// Reads the record at `offset`. Where no record is framed (its header is damaged, or its length runs past the
    /// end), or the framed record is damaged (its length may be what is wrong), the bytes up to the next good record
    /// are one damaged record: damage in the middle of a segment loses no record after it. Only when no good record
    /// follows a missing frame is it the end.
    static func read(
        from descriptor: FileDescriptor,
        at offset: Int64,
        fileSize: Int64
    ) throws(SpoolError)
        -> ReadResult
    {
        switch try readFramed(from: descriptor, at: offset, fileSize: fileSize) {
        case .record(let record, let next):
            return .record(record, next: next)
        case .damaged(let next):
            return .damaged(next: try nextGoodRecord(in: descriptor, after: offset, fileSize: fileSize) ?? next)
        case .truncated, nil:
            if let next = try nextGoodRecord(in: descriptor, after: offset, fileSize: fileSize) {
                return .damaged(next: next)
            }
            return .truncated
        }
    }

    /// Reads the record framed at `offset`; nil when no whole frame is there.
    private static func readFramed(
        from descriptor: FileDescriptor,
        at offset: Int64,
        fileSize: Int64
    ) throws(SpoolError)
        -> ReadResult?
    {
        let header = try readBytes(descriptor, at: offset, count: headerSize)
        guard let length = frameLength(header: header), offset + length <= fileSize else {
            return nil
        }
        let payload = try readBytes(descriptor, at: offset + Int64(headerSize), count: Int(length) - headerSize)
        let next = offset + length
        guard payload.count == Int(length) - headerSize else { return nil }
        guard CRC32.checksum(payload) == littleEndian(header, at: 6) else { return .damaged(next: next) }
        var fields = payload[...]
        guard let routingKey = takeShortString(from: &fields), let eventID = takeShortString(from: &fields) else {
            return .damaged(next: next)
        }
        return .record(.init(routingKey: routingKey, eventID: eventID, body: Array(fields)), next: next)
    }

    /// The offset of the first good record (framed, checksum right) after `offset`, found by its magic; nil if none.
    private static func nextGoodRecord(in descriptor: FileDescriptor, after offset: Int64, fileSize: Int64) throws(SpoolError) -> Int64? {
        var chunkStart = offset + 1
        while fileSize - chunkStart >= 2 {
            let chunk = try readBytes(descriptor, at: chunkStart, count: Int(min(1 << 16, fileSize - chunkStart)))
            guard chunk.count >= 2 else { return nil }
            for index in 0..<(chunk.count - 1) where chunk[index] == magic.0 && chunk[index + 1] == magic.1 {
                let candidate = chunkStart + Int64(index)
                if case .record = try readFramed(from: descriptor, at: candidate, fileSize: fileSize) {
                    return candidate
                }
            }
            // The last byte again, in case a magic straddles two chunks.
            chunkStart += Int64(chunk.count - 1)
        }
        return nil
    }

    /// The length of the record that `header` frames (header included), or nil when it is no record header.
    private static func frameLength(header: [UInt8]) -> Int64? {
        guard header.count == headerSize, header[0] == magic.0, header[1] == magic.1 else { return nil }
        let payloadLength = Int(littleEndian(header, at: 2))
        guard payloadLength >= 1, payloadLength <= maximumPayload else { return nil }
        return Int64(headerSize + payloadLength)
    }

    /// Takes a length-prefixed (one byte) UTF-8 string off the front of `bytes`.
    private static func takeShortString(from bytes: inout ArraySlice<UInt8>) -> String? {
        guard let length = bytes.first.map(Int.init), length < bytes.count else { return nil }
        let string = String(decoding: bytes.dropFirst().prefix(length), as: UTF8.self)
        bytes = bytes.dropFirst(1 + length)
        return string
    }

    private static func readBytes(
        _ descriptor: FileDescriptor,
        at offset: Int64,
        count: Int
    ) throws(SpoolError)
        -> [UInt8]
    {
        do {
            var bytes = [UInt8](repeating: 0, count: count)
            let read = try bytes.withUnsafeMutableBytes { buffer in
                var total = 0
                while total < count {
                    let chunk = try descriptor.read(
                        fromAbsoluteOffset: offset + Int64(total),
                        into: UnsafeMutableRawBufferPointer(rebasing: buffer[total...])
                    )
                    if chunk == 0 { break }
                    total += chunk
                }
                return total
            }
            bytes.removeLast(count - read)
            return bytes
        } catch {
            throw SpoolError(.readFailed, "cannot read the spool: \(error)")
        }
    }

    private static func appendLittleEndian(_ value: UInt32, to bytes: inout [UInt8]) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> shift)) }
    }

    private static func littleEndian(_ bytes: [UInt8], at index: Int) -> UInt32 {
        (0..<4).reduce(0) { value, byte in value | UInt32(bytes[index + byte]) << (8 * byte) }
    }
}

/// CRC-32 (IEEE 802.3, as zlib and gzip compute it).
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xedb8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xffff_ffff
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xff)] ^ (crc >> 8) }
        return crc ^ 0xffff_ffff
    }
}
