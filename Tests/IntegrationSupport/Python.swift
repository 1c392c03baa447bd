import Foundation

/// Runs a Python 3 script (the reference implementations: `json`, `logging`) and returns what it printed.
public enum Python {
    /// python3 exited with a failure; `output` is what it printed (stdout and stderr).
    public struct Failure: Error, CustomStringConvertible {
        public let status: Int32
        public let output: String
        public var description: String { "python3 exited with \(status): \(output)" }
    }

    /// Runs `script` with `python3 -c`, `input` on its stdin; returns stdout and stderr together.
    public static func run(_ script: String, input: [UInt8] = [], arguments: [String] = []) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stdout
        try process.run()
        stdin.fileHandleForWriting.write(Data(input))
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: output, as: UTF8.self)
        guard process.terminationStatus == 0 else { throw Failure(status: process.terminationStatus, output: text) }
        return text
    }
}
