extension TaskMessage {
    /// The message's arguments as `task`'s `Arguments`: from ``kwargs`` when there are keyword arguments, from
    /// ``args`` when there are positional arguments only, from `{}` (then `[]`) when there are none.
    ///
    /// Throws ``TaskDecodingError`` with ``TaskDecodingError/Code/wrongTask`` when the message is for another task,
    /// and ``TaskDecodingError/Code/invalidArguments`` when the message has both kinds of arguments or they do not
    /// decode; the message names the task and the field at fault, e.g.
    /// `task shop.send_receipt: arguments do not decode: kwargs.order.id: expected Int…`.
    public func arguments<Task: TaskDefinition>(for task: Task.Type) throws(TaskDecodingError) -> Task.Arguments {
        guard name == Task.name else {
            throw TaskDecodingError(.wrongTask, "the message is for task \(name), not \(Task.name)")
        }
        func fail(_ text: String) -> TaskDecodingError {
            TaskDecodingError(.invalidArguments, "task \(name): arguments do not decode: \(text)")
        }
        switch (args.isEmpty, kwargs.isEmpty) {
        case (false, false):
            throw fail(
                "the message has both positional args (\(args.count)) and kwargs (\(kwargs.keys.joined(separator: ", "))); a Beacon task takes one or the other"
            )
        case (false, true):
            return try decode(Task.Arguments.self, from: .array(args), label: "args", fail)
        case (true, false):
            return try decode(Task.Arguments.self, from: .object(kwargs), label: "kwargs", fail)
        case (true, true):
            if let arguments = try? TaskCoding.decode(Task.Arguments.self, from: .object([:])) { return arguments }
            return try decode(Task.Arguments.self, from: .array([]), label: "args", fail)
        }
    }

    private func decode<Arguments: Decodable>(
        _ type: Arguments.Type,
        from value: JSONValue,
        label: String,
        _ fail: (String) -> TaskDecodingError
    ) throws(TaskDecodingError) -> Arguments {
        do {
            return try TaskCoding.decode(type, from: value)
        } catch {
            let (path, problem) = TaskCoding.describe(error)
            if path.isEmpty, case .array = value {
                throw fail("\(label): \(problem) (the task takes keyword arguments? the message has positional args only)")
            }
            if path.isEmpty, case .object = value {
                throw fail("\(label): \(problem) (the task takes positional arguments? the message has kwargs only)")
            }
            throw fail("\(label)\(path.hasPrefix("[") ? "" : ".")\(path): \(problem)")
        }
    }
}
