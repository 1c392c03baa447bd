import BeaconEvents
import Yams

/// A node of `worker.yaml` with the dotted key that leads to it, so every error names its key and line.
struct YAMLReader {
    let node: Node
    /// `sinks.app.rotate`, or empty for the document itself.
    let key: String
    let file: String

    /// Parses a document; an empty document is an empty mapping.
    static func parse(_ text: String, file: String) throws(WorkerConfigurationError) -> YAMLReader {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw WorkerConfigurationError(.invalidYAML, key: "", location: Self.location(of: error, in: file), Self.problem(of: error))
        } catch {
            throw WorkerConfigurationError(.invalidYAML, key: "", location: file, "\(error)")
        }
        return YAMLReader(node: node ?? Node([(Node, Node)]()), key: "", file: file)
    }

    /// `worker/worker.yaml:12`.
    var location: String { node.mark.map { "\(file):\($0.line)" } ?? file }

    func error(_ code: WorkerConfigurationError.Code, _ message: String) -> WorkerConfigurationError {
        WorkerConfigurationError(code, key: key, location: location, message)
    }

    /// An invalid value at this node.
    func error(_ message: String) -> WorkerConfigurationError { error(.invalidValue, message) }

    private func child(_ node: Node, _ name: String) -> YAMLReader {
        YAMLReader(node: node, key: key.isEmpty ? name : "\(key).\(name)", file: file)
    }

    // MARK: Mappings

    /// The members of a mapping, in order, whatever their keys (a queue or a sink is named by its key).
    func members() throws(WorkerConfigurationError) -> [(key: String, value: YAMLReader)] {
        try members(allowed: []) { $0 }
    }

    /// The members of a mapping, in order, each key one of `Key`'s cases; any other key is an error that names it,
    /// where it is, and the keys allowed there.
    func members<Key: CaseIterable & RawRepresentable<String>>(
        _: Key.Type
    ) throws(WorkerConfigurationError) -> [(key: Key, value: YAMLReader)] {
        try members(allowed: Key.allCases.map(\.rawValue), Key.init(rawValue:))
    }

    /// The members of a mapping, in order, each key read by `key`; a key it does not know (nil) is an error that
    /// names it, where it is, and the `allowed` keys.
    func members<Key>(
        allowed: [String],
        _ key: (String) -> Key?
    ) throws(WorkerConfigurationError) -> [(key: Key, value: YAMLReader)] {
        guard case .mapping(let mapping) = node else {
            throw error("expected a mapping of keys to values, found \(kindDescription)")
        }
        var result: [(key: Key, value: YAMLReader)] = []
        for (keyNode, valueNode) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                throw YAMLReader(node: keyNode, key: self.key, file: file).error("a key must be a plain name")
            }
            let member = child(valueNode, scalar.string)
            guard let known = key(scalar.string) else {
                let hint = allowed.sorted().joined(separator: ", ")
                throw YAMLReader(node: keyNode, key: member.key, file: file)
                    .error(.unknownKey, "unknown key (expected one of: \(hint))")
            }
            result.append((known, member))
        }
        return result
    }

    /// The member called `name` of a mapping, or nil when absent or null.
    func member(_ name: String) throws(WorkerConfigurationError) -> YAMLReader? {
        try members().first { $0.key == name && !$0.value.isNull }?.value
    }

    var isScalar: Bool { node.scalar != nil }

    var isNull: Bool {
        guard case .scalar(let scalar) = node else { return false }
        return scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    // MARK: Scalars

    func string() throws(WorkerConfigurationError) -> String {
        guard case .scalar(let scalar) = node else { throw error("expected a single value, found \(kindDescription)") }
        return scalar.string
    }

    func integer(in range: ClosedRange<Int>) throws(WorkerConfigurationError) -> Int {
        let text = try string()
        guard let value = Int(text.trimmingSpaces), range.contains(value) else {
            throw error("\"\(text)\" is not a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    func boolean() throws(WorkerConfigurationError) -> Bool {
        let text = try string()
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error("\"\(text)\" is not true or false")
        }
    }

    func duration() throws(WorkerConfigurationError) -> Duration {
        let text = try string()
        guard let duration = ConfigurationText.duration(text) else {
            throw error("\"\(text)\" is not a duration (write 500ms, 5s, 2m, 1h or 1d)")
        }
        return duration
    }

    func byteCount() throws(WorkerConfigurationError) -> Int64 {
        let text = try string()
        guard let bytes = ConfigurationText.byteCount(text) else {
            throw error("\"\(text)\" is not a byte count (write 10485760, 512KiB or 10MiB)")
        }
        return bytes
    }

    /// One of a fixed set of words.
    func choice<Choice>(_ choices: [String: Choice]) throws(WorkerConfigurationError) -> Choice {
        let text = try string()
        guard let choice = choices[text] else {
            throw error("\"\(text)\" is not one of: \(choices.keys.sorted().joined(separator: ", "))")
        }
        return choice
    }

    /// A sequence of values, or a single value as a sequence of one.
    func list() throws(WorkerConfigurationError) -> [YAMLReader] {
        switch node {
        case .sequence(let sequence):
            return sequence.enumerated().map { index, element in child(element, "[\(index)]") }
        case .scalar:
            return [self]
        default:
            throw error("expected a list, found \(kindDescription)")
        }
    }

    /// What the node is, for an error; a value is quoted with any URL password hidden (`smtp: smtp://u:pw@host` where
    /// a mapping belongs would otherwise print it) and control characters escaped.
    private var kindDescription: String {
        switch node {
        case .scalar(let scalar): "\"\(LogText.escaped(Redaction.standard.redactingPassword(inURL: scalar.string)))\""
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    private static func location(of error: YamlError, in file: String) -> String {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            "\(file):\(mark.line)"
        case .duplicatedKeysInMapping(_, let context):
            "\(file):\(context.mark.line)"
        default:
            file
        }
    }

    private static func problem(of error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _),
            .composer(let context, let problem, _, _):
            "not valid YAML: \(problem)" + (context.map { " (\($0.text))" } ?? "")
        case .duplicatedKeysInMapping(let duplicates, _):
            "not valid YAML: the key \(duplicates.joined(separator: ", ")) appears twice"
        case .reader(let problem, _, _, _):
            "not valid YAML: \(problem)"
        default:
            "not valid YAML: \(error)"
        }
    }
}
