import Foundation
import IntegrationSupport
import Logging
import Testing

@testable import BeaconLogging

#if canImport(Glibc)
import Glibc
#endif

/// `LogHandlerPair` behaves as `MultiplexLogHandler` does, with two line handlers writing real files.
@Suite struct LogHandlerPairTests {
    /// A line handler writing to a new file, and a way to read that file.
    func fileHandler(_ name: String, level: Logger.Level) throws -> (handler: LineLogHandler, lines: () throws -> [String]) {
        let path = try TestServices.temporaryDirectory("log-pair").appendingPathComponent(name).path
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        try #require(descriptor >= 0)
        let handler = LineLogHandler(label: "pair", fileDescriptor: descriptor, logLevel: level)
        return (handler, { try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init) })
    }

    @Test func eachHandlerTakesTheRecordsItsLevelLetsThrough() throws {
        let (info, infoLines) = try fileHandler("info.log", level: .info)
        let (errors, errorLines) = try fileHandler("error.log", level: .error)
        let logger = Logger(label: "pair") { _ in LogHandlerPair(info, errors) }
        #expect(logger.logLevel == .info, "the lower of the two")
        logger.debug("neither")
        logger.warning("info only")
        logger.error("both")
        #expect(try infoLines().map { $0.contains("info only") || $0.contains("both") } == [true, true])
        #expect(try errorLines().count == 1)
        #expect(try errorLines().first?.contains("both") == true)
    }

    @Test func metadataAndLevelChangesReachBothHandlers() throws {
        let (first, firstLines) = try fileHandler("first.log", level: .info)
        let (second, secondLines) = try fileHandler("second.log", level: .error)
        var logger = Logger(label: "pair") { _ in LogHandlerPair(first, second) }
        logger[metadataKey: "request"] = "r-1"
        logger.logLevel = .debug
        logger.debug("after the change")
        #expect(logger[metadataKey: "request"] == "r-1")
        for lines in [try firstLines(), try secondLines()] {
            #expect(lines.count == 1)
            #expect(lines.first?.contains("after the change [request=r-1]") == true)
        }
        var pair = LogHandlerPair(first, second)
        pair.second[metadataKey: "only"] = "second"
        pair.first[metadataKey: "both"] = "first"
        pair.second[metadataKey: "both"] = "second"
        #expect(pair[metadataKey: "only"] == "second", "a key from whichever has it")
        #expect(pair[metadataKey: "both"] == "first", "the first handler's first")
        #expect(pair.metadata == ["only": "second", "both": "second"], "merged, the second winning")
    }
}
