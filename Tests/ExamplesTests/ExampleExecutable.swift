import Foundation

/// A built example program, next to the test bundle (`swift build` puts both in the same folder).
func exampleExecutable(_ name: String) throws -> URL {
    let directory = Bundle.main.bundleURL.deletingLastPathComponent()
    for candidate in [directory, Bundle.main.bundleURL].map({ $0.appendingPathComponent(name) }) {
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
    }
    throw MissingExample(name: name, directory: directory.path)
}

/// The example program is not where `swift build` puts it.
struct MissingExample: Error, CustomStringConvertible {
    let name: String
    let directory: String
    var description: String { "\(name) is not built next to the tests in \(directory): run `swift build` first" }
}
