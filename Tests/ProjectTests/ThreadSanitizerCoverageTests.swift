import Foundation
import Testing

/// `make test-tsan` checks the signal and outbox modules under ThreadSanitizer, which sees their locks only through
/// `withTracedLock`: a plain `Mutex.withLock` there would bring back hundreds of false reports and hide real ones.
/// (`NSCondition.withLock` is fine: a pthread mutex, which TSan sees.)
@Suite struct ThreadSanitizerCoverageTests {
    @Test(
        "the modules under ThreadSanitizer lock only through withTracedLock",
        arguments: ["Sources/Beacon", "Sources/BeaconOutbox", "Tests/BeaconTests", "Tests/BeaconOutboxTests"]
    )
    func tracedLocksOnly(folder: String) throws {
        let root = projectFile(folder)
        let files = try #require(FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil))
            .compactMap { $0 as? URL }
            .filter { $0.pathExtension == "swift" }
        #expect(!files.isEmpty)
        for file in files {
            let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n")
            let conditions = lines.compactMap { line -> String? in
                guard line.contains("= NSCondition()"), let name = line.split(separator: "=").first?.split(separator: " ").last else {
                    return nil
                }
                return "\(name).withLock"
            }
            let plain = lines.filter { line in line.contains(".withLock") && !conditions.contains { line.contains($0) } }
            #expect(plain.isEmpty, "\(file.lastPathComponent) calls Mutex.withLock: \(plain)")
        }
    }
}
