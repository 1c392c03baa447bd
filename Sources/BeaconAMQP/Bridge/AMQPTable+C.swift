import CRabbitMQ

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
public import Foundation
#endif

// Field tables between Swift and rabbitmq-c: to C into a scratch pool (for a send), from C by copying (decoded frames
// live in rabbitmq-c's pools only until its buffers are released).

extension AMQPTable {
    /// Reads a decoded table.
    init(_ table: amqp_table_t) {
        var entries: [(key: String, value: AMQPFieldValue)] = []
        entries.reserveCapacity(Int(table.num_entries))
        for index in 0..<Int(table.num_entries) {
            let entry = table.entries[index]
            entries.append((key: entry.key.string, value: AMQPFieldValue(entry.value)))
        }
        self.init(entries)
    }

    /// The table as rabbitmq-c structures allocated in `pool`.
    func cTable(in pool: ScratchPool) -> amqp_table_t {
        guard let cEntries = pool.allocate(amqp_table_entry_t.self, count: entries.count) else { return amqp_empty_table }
        for (index, entry) in entries.enumerated() {
            cEntries.advanced(by: index).initialize(to: amqp_table_entry_t(key: pool.bytes(entry.key), value: entry.value.cValue(in: pool)))
        }
        return amqp_table_t(num_entries: Int32(entries.count), entries: cEntries)
    }
}

extension AMQPFieldValue {
    /// Reads a decoded field value (unsigned kinds widen to the next signed case).
    init(_ field: amqp_field_value_t) {
        switch amqp_field_value_kind_t(rawValue: UInt32(field.kind)) {
        case AMQP_FIELD_KIND_BOOLEAN: self = .bool(field.value.boolean != 0)
        case AMQP_FIELD_KIND_I8: self = .int8(field.value.i8)
        case AMQP_FIELD_KIND_U8: self = .int16(Int16(field.value.u8))
        case AMQP_FIELD_KIND_I16: self = .int16(field.value.i16)
        case AMQP_FIELD_KIND_U16: self = .int32(Int32(field.value.u16))
        case AMQP_FIELD_KIND_I32: self = .int32(field.value.i32)
        case AMQP_FIELD_KIND_U32: self = .int64(Int64(field.value.u32))
        case AMQP_FIELD_KIND_I64: self = .int64(field.value.i64)
        case AMQP_FIELD_KIND_U64: self = .int64(Int64(truncatingIfNeeded: field.value.u64))
        case AMQP_FIELD_KIND_F32: self = .float(field.value.f32)
        case AMQP_FIELD_KIND_F64: self = .double(field.value.f64)
        case AMQP_FIELD_KIND_DECIMAL:
            self = .decimal(scale: field.value.decimal.decimals, value: Int32(bitPattern: field.value.decimal.value))
        case AMQP_FIELD_KIND_UTF8: self = .string(field.value.bytes.string)
        case AMQP_FIELD_KIND_BYTES: self = .bytes(field.value.bytes.array)
        case AMQP_FIELD_KIND_TIMESTAMP: self = .timestamp(Date(timeIntervalSince1970: Double(field.value.u64)))
        case AMQP_FIELD_KIND_TABLE: self = .table(AMQPTable(field.value.table))
        case AMQP_FIELD_KIND_ARRAY:
            let array = field.value.array
            self = .array((0..<Int(array.num_entries)).map { AMQPFieldValue(array.entries[$0]) })
        default: self = .void
        }
    }

    /// The value as a rabbitmq-c structure allocated in `pool`.
    func cValue(in pool: ScratchPool) -> amqp_field_value_t {
        var field = amqp_field_value_t()
        func kind(_ kind: amqp_field_value_kind_t) { field.kind = UInt8(kind.rawValue) }
        switch self {
        case .bool(let value):
            kind(AMQP_FIELD_KIND_BOOLEAN)
            field.value.boolean = value ? 1 : 0
        case .int8(let value):
            kind(AMQP_FIELD_KIND_I8)
            field.value.i8 = value
        case .int16(let value):
            kind(AMQP_FIELD_KIND_I16)
            field.value.i16 = value
        case .int32(let value):
            kind(AMQP_FIELD_KIND_I32)
            field.value.i32 = value
        case .int64(let value):
            kind(AMQP_FIELD_KIND_I64)
            field.value.i64 = value
        case .float(let value):
            kind(AMQP_FIELD_KIND_F32)
            field.value.f32 = value
        case .double(let value):
            kind(AMQP_FIELD_KIND_F64)
            field.value.f64 = value
        case .decimal(let scale, let value):
            kind(AMQP_FIELD_KIND_DECIMAL)
            field.value.decimal = amqp_decimal_t(decimals: scale, value: UInt32(bitPattern: value))
        case .string(let value):
            kind(AMQP_FIELD_KIND_UTF8)
            field.value.bytes = pool.bytes(value)
        case .bytes(let value):
            kind(AMQP_FIELD_KIND_BYTES)
            field.value.bytes = pool.bytes(value)
        case .timestamp(let date):
            kind(AMQP_FIELD_KIND_TIMESTAMP)
            field.value.u64 = UInt64(max(0, date.timeIntervalSince1970))
        case .table(let table):
            kind(AMQP_FIELD_KIND_TABLE)
            field.value.table = table.cTable(in: pool)
        case .array(let values):
            kind(AMQP_FIELD_KIND_ARRAY)
            let elements = pool.allocate(amqp_field_value_t.self, count: values.count)
            for (index, value) in values.enumerated() { elements?.advanced(by: index).initialize(to: value.cValue(in: pool)) }
            field.value.array = amqp_array_t(num_entries: Int32(values.count), entries: elements)
        case .void:
            kind(AMQP_FIELD_KIND_VOID)
        }
        return field
    }
}
