public import BeaconTasksCore

/// A `POST /orders` body, validated: what ``SendReceipt`` needs but the order id, which the server makes.
public struct OrderRequest: Sendable, Hashable {
    public var name: String
    public var email: String
    public var items: [SendReceipt.Item]

    /// The fields of a body that are at fault, each with what is wrong with it (`items[1].price`: "must be a number ≥ 0").
    public struct Invalid: Error, Sendable, Hashable {
        public var fields: [(field: String, problem: String)]

        public static func == (lhs: Invalid, rhs: Invalid) -> Bool {
            lhs.fields.elementsEqual(rhs.fields) { $0.field == $1.field && $0.problem == $1.problem }
        }

        public func hash(into hasher: inout Hasher) {
            for (field, problem) in fields {
                hasher.combine(field)
                hasher.combine(problem)
            }
        }
    }

    /// The most items an order may have.
    public static let maximumItems = 100

    /// Reads and checks a JSON object: `name` (1…200 characters, no control characters), `email` (an address a mail
    /// header can carry as it is: `local@domain`, printable ASCII, no spaces or `<>()[],;:"\`), `items` (1…100 of
    /// `{"name": 1…200 characters, "price": a number 0…1,000,000,000}`); no other member (`order_id` is the
    /// server's). Every field at fault is reported, not only the first.
    public init(json: JSONObject) throws(Invalid) {
        var problems: [(field: String, problem: String)] = []
        for key in json.keys where !["name", "email", "items"].contains(key) {
            problems.append((key, key == "order_id" ? "is made by the server: leave it out" : "is not a field of an order"))
        }
        let name = Self.text(json["name"], field: "name", into: &problems)
        var email = ""
        switch json["email"] {
        case .string(let text)? where Self.isMailAddress(text): email = text
        case nil: problems.append(("email", "is required"))
        default: problems.append(("email", "must be an email address such as ada@example.com"))
        }
        var items: [SendReceipt.Item] = []
        switch json["items"] {
        case .array(let elements)? where (1...Self.maximumItems).contains(elements.count):
            for (index, element) in elements.enumerated() {
                guard case .object(let item) = element else {
                    problems.append(("items[\(index)]", "must be an object with a name and a price"))
                    continue
                }
                let itemName = Self.text(item["name"], field: "items[\(index)].name", into: &problems)
                var price = 0.0
                switch item["price"] {
                case .integer(let value)? where (0...1_000_000_000).contains(value): price = Double(value)
                case .double(let value)? where value.isFinite && (0...1_000_000_000).contains(value): price = value
                case nil: problems.append(("items[\(index)].price", "is required"))
                default: problems.append(("items[\(index)].price", "must be a number from 0 to 1000000000"))
                }
                for key in item.keys where key != "name" && key != "price" {
                    problems.append(("items[\(index)].\(key)", "is not a field of an item"))
                }
                items.append(SendReceipt.Item(name: itemName, price: price))
            }
        case nil: problems.append(("items", "is required"))
        default: problems.append(("items", "must be a list of 1 to \(Self.maximumItems) items"))
        }
        guard problems.isEmpty else { throw Invalid(fields: problems) }
        self.name = name
        self.email = email
        self.items = items
    }

    /// The task's arguments for this order.
    public func receipt(orderID: String) -> SendReceipt.Arguments {
        SendReceipt.Arguments(orderID: orderID, name: name, email: email, items: items)
    }

    /// Whether `text` is an address a mail header can carry as it is.
    public static func isMailAddress(_ text: String) -> Bool {
        let forbidden = Set("<>()[],;:\"\\ ".unicodeScalars)
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return text.utf8.count <= 254 && parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".")
            && !parts[1].hasPrefix(".") && !parts[1].hasSuffix(".")
            && text.unicodeScalars.allSatisfy { (0x21...0x7e).contains($0.value) && !forbidden.contains($0) }
    }

    private static func text(_ value: JSONValue?, field: String, into problems: inout [(field: String, problem: String)]) -> String {
        switch value {
        case .string(let text)?:
            let trimmed = text.trimmingSpaces
            if trimmed.isEmpty || trimmed.count > 200 {
                problems.append((field, "must be 1 to 200 characters"))
            } else if trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                problems.append((field, "must not contain control characters"))
            } else {
                return trimmed
            }
        case nil: problems.append((field, "is required"))
        default: problems.append((field, "must be a string"))
        }
        return ""
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var scalars = Substring(self)
        while scalars.first?.isWhitespace == true { scalars.removeFirst() }
        while scalars.last?.isWhitespace == true { scalars.removeLast() }
        return String(scalars)
    }
}
