import Foundation
import XCTest

/// Runs the built `quarry` executable as a whole process, as users do.
struct QuarryProcess {
    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String

        var jsonLines: [[String: Any]] {
            stdout.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
        }
    }

    /// The `quarry` executable next to the test bundle (same build configuration).
    static var executable: URL {
        let productDirectory = Bundle.main.bundleURL.pathExtension == "xctest"
            ? Bundle.main.bundleURL.deletingLastPathComponent()
            : URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return productDirectory.appendingPathComponent("quarry")
    }

    static var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        return environment
    }

    /// Starts quarry with `arguments`; standard input reads `stdinFile` (or nothing).
    static func start(_ arguments: [String], in directory: URL? = nil,
                      environment extra: [String: String] = [:], stdinFile: URL? = nil) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardInput = try stdinFile.map { try FileHandle(forReadingFrom: $0) } ?? FileHandle.nullDevice
        process.environment = environment.merging(extra) { $1 }
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return (process, out, err)
    }

    @discardableResult
    static func run(_ arguments: [String], in directory: URL? = nil,
                    environment extra: [String: String] = [:], stdinFile: URL? = nil) throws -> Outcome {
        let (process, out, err) = try start(arguments, in: directory, environment: extra, stdinFile: stdinFile)
        // Read both pipes before waiting so a chatty process cannot block on a full pipe.
        let errReader = PipeReader(err)
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = errReader.wait()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus,
                       stdout: String(decoding: outData, as: UTF8.self),
                       stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// Drains a pipe on a background thread.
final class PipeReader: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ pipe: Pipe) {
        Thread.detachNewThread { [self] in
            data = pipe.fileHandleForReading.readDataToEndOfFile()
            done.signal()
        }
    }

    func wait() -> Data {
        done.wait()
        return data
    }
}

/// A scratch git repository built with the git command line.
struct ScratchRepository {
    let url: URL

    init(name: String = "repo") throws {
        let base = FileManager.default.temporaryDirectory
            .appendingPathComponent("quarry-cli-\(UUID().uuidString)")
        url = base.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try git("init", "-q", "-b", "main")
    }

    var path: String { url.path }

    func remove() {
        try? FileManager.default.removeItem(at: url.deletingLastPathComponent())
    }

    func write(_ relativePath: String, _ contents: String) throws {
        let file = url.appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try contents.write(to: file, atomically: true, encoding: .utf8)
    }

    /// Copies a directory tree into the repository under `destination`.
    func copyTree(from source: URL, to destination: String) throws {
        let target = url.appendingPathComponent(destination)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: source, to: target)
    }

    func commitAll(_ message: String = "commit") throws {
        try git("add", "-A")
        try git("-c", "user.name=Quarry Tests", "-c", "user.email=tests@example.invalid",
                "commit", "-q", "--no-gpg-sign", "-m", message)
    }

    @discardableResult
    func git(_ arguments: String...) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        process.arguments = ["-C", path] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw NSError(domain: "git", code: Int(process.terminationStatus),
                          userInfo: [NSLocalizedDescriptionKey: "git \(arguments.joined(separator: " ")) failed"])
        }
        return String(decoding: data, as: UTF8.self)
    }
}

extension ScratchRepository {
    /// A repository holding the `Fixtures/` directories `fixtures` (fixture
    /// name -> directory in the repository), committed and indexed with the
    /// default model; nil (after failing the test) when that fails. For a
    /// test class's `setUp`, so its tests share one index.
    static func indexed(_ fixtures: KeyValuePairs<String, String>) -> ScratchRepository? {
        do {
            let repository = try ScratchRepository()
            for (fixture, destination) in fixtures {
                try repository.copyTree(from: packageRoot.appendingPathComponent("Fixtures/" + fixture), to: destination)
            }
            try repository.commitAll()
            let index = try QuarryProcess.run(["index", repository.path])
            XCTAssertEqual(index.status, 0, index.stderr)
            return repository
        } catch {
            XCTFail("cannot build the fixture repository: \(error)")
            return nil
        }
    }
}

/// The project root, for Fixtures/ and ../shared.
let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The CPython standard library of this machine's python3 (a real codebase of ~2,400 files).
func pythonStandardLibrary() throws -> URL {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"]
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let path = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    guard process.terminationStatus == 0, !path.isEmpty else {
        throw NSError(domain: "python3", code: 1, userInfo: [NSLocalizedDescriptionKey: "python3 is needed (scripts/setup.sh installs it)"])
    }
    return URL(fileURLWithPath: path)
}
