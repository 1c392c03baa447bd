import Foundation
import IntegrationSupport
import Testing

/// The README's module map against Package.swift: a module added, removed or rewired shows in the README too.
@Suite struct ReadmeModuleMapTests {
    /// One row of the map: module, stage, the Beacon modules it depends on, the other packages it uses.
    struct Row {
        var module: String
        var dependencies: Set<String>
        var packages: Set<String>
    }

    /// Targets the map leaves out: the C shims stand as the library they wrap, and test support is no module of Beacon.
    static let unmapped: Set = ["CRabbitMQ", "CAMQPShim", "CCurl", "CCurlShim", "IntegrationSupport"]
    /// How the map names the C libraries behind the shims.
    static let systemLibraries = ["CRabbitMQ": "rabbitmq-c", "CAMQPShim": "rabbitmq-c", "CCurl": "libcurl", "CCurlShim": "libcurl"]

    let graph: [String: [String]]
    let rows: [String: Row]

    init() async throws {
        graph = try await ModuleGraphTests.manifestGraph.value
        rows = try Self.readMap()
    }

    /// The table after the `<!-- module map` comment in README.md, by module.
    static func readMap() throws -> [String: Row] {
        let readme = try String(contentsOf: projectFile("README.md"), encoding: .utf8)
        let lines = readme.split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex { $0.hasPrefix("<!-- module map") }, "README.md has no module map comment")
        var rows: [String: Row] = [:]
        for line in lines[(start + 1)...].prefix(while: { $0.hasPrefix("|") }) where line.hasPrefix("| `") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast()
                .map { $0.trimmingCharacters(in: .whitespaces) }
            try #require(cells.count == 4, "a module map row has 4 cells: \(line)")
            let module = cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            let dependencies = cells[2].split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " `")) }
            let packages = cells[3].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            try #require(rows[module] == nil, "\(module) has two rows")
            rows[module] = Row(module: module, dependencies: Set(dependencies), packages: Set(packages))
        }
        return rows
    }

    @Test func mapsEveryModuleOnce() {
        let modules = Set(graph.keys.filter { !$0.hasSuffix("Tests") }).subtracting(Self.unmapped)
        #expect(Set(rows.keys) == modules)
    }

    @Test func dependenciesMatchPackageSwift() throws {
        for (module, row) in rows {
            let direct = try #require(graph[module], "\(module) is not a target of Package.swift")
            let local = Set(direct.filter { !$0.contains("/") && Self.systemLibraries[$0] == nil })
            let packages = Set(
                direct.compactMap { dependency -> String? in
                    if let library = Self.systemLibraries[dependency] { return library }
                    guard let slash = dependency.firstIndex(of: "/") else { return nil }
                    return String(dependency[..<slash])
                }
            )
            #expect(row.dependencies == local, "\(module): the README says \(row.dependencies.sorted()), Package.swift \(local.sorted())")
            #expect(row.packages == packages, "\(module): the README says \(row.packages.sorted()), Package.swift \(packages.sorted())")
        }
    }
}
