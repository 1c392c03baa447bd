/// A one-line progress bar for a terminal: `replaying [##########----------]  50/100`.
struct ProgressBar: Sendable {
    let label: String
    let width: Int

    init(label: String, width: Int = 30) {
        self.label = label
        self.width = width
    }

    /// The bar for `done` of `total`.
    func render(done: Int, total: Int) -> String {
        let filled = total > 0 ? min(width, done * width / total) : width
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let digits = String(total).count
        let count = String(repeating: " ", count: max(0, digits - String(done).count)) + "\(done)/\(total)"
        return "\(label) [\(bar)] \(count)"
    }
}
