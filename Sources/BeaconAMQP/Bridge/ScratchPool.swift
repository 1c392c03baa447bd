import CRabbitMQ

/// An `amqp_pool_t` for the C structures handed to rabbitmq-c (strings, tables, properties): they stay valid until the
/// next ``recycle()``. Owned by one connection thread.
final class ScratchPool {
    private let pool: UnsafeMutablePointer<amqp_pool_t>

    init() {
        pool = .allocate(capacity: 1)
        init_amqp_pool(pool, 16_384)
    }

    deinit {
        empty_amqp_pool(pool)
        pool.deallocate()
    }

    /// Invalidates everything allocated so far and keeps the memory for reuse.
    func recycle() { recycle_amqp_pool(pool) }

    /// A copy of `count` bytes.
    func copy(_ source: UnsafeRawBufferPointer) -> amqp_bytes_t {
        guard source.count > 0, let base = source.baseAddress else { return amqp_empty_bytes }
        guard let memory = amqp_pool_alloc(pool, source.count) else { fatalError("rabbitmq-c pool allocation of \(source.count) bytes failed") }
        memory.copyMemory(from: base, byteCount: source.count)
        return amqp_bytes_t(len: source.count, bytes: memory)
    }

    /// The UTF-8 of `string`.
    func bytes(_ string: String) -> amqp_bytes_t {
        var string = string
        return string.withUTF8 { copy(UnsafeRawBufferPointer($0)) }
    }

    /// A copy of `bytes`.
    func bytes(_ bytes: [UInt8]) -> amqp_bytes_t {
        bytes.withUnsafeBytes { copy($0) }
    }

    /// Uninitialized memory for `count` values of `T`.
    func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T>? {
        guard count > 0 else { return nil }
        guard let memory = amqp_pool_alloc(pool, MemoryLayout<T>.stride * count) else {
            fatalError("rabbitmq-c pool allocation of \(count) × \(T.self) failed")
        }
        return memory.bindMemory(to: T.self, capacity: count)
    }
}

extension amqp_bytes_t {
    /// The bytes, as a raw buffer (valid as long as the memory they point to).
    var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: bytes, count: len) }

    /// The bytes decoded as UTF-8 (invalid sequences replaced).
    var string: String { String(decoding: buffer, as: UTF8.self) }

    /// A copy of the bytes.
    var array: [UInt8] { Array(buffer) }

    /// Whether these bytes are the UTF-8 of `string`.
    func equals(_ string: String) -> Bool {
        var string = string
        return string.withUTF8 { $0.count == len && UnsafeRawBufferPointer($0).elementsEqual(buffer) }
    }
}
