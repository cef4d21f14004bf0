import Foundation
import XCTest

/// `quarry model` and `quarry embed` as whole processes.
final class ModelCommandTests: XCTestCase {
    var home: URL!

    override func setUpWithError() throws {
        home = FileManager.default.temporaryDirectory.appendingPathComponent("quarry-home-\(UUID())")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: home)
    }

    private var environment: [String: String] { ["QUARRY_HOME": home.path] }

    /// A Hugging Face style layout served by a local HTTP server: the tiny
    /// ModernBERT fixture with a byte-level BPE tokenizer.json.
    private func serveHub() throws -> (Process, String) {
        let hub = home.appendingPathComponent("hub")
        let files = hub.appendingPathComponent("ibm-granite/granite-embedding-97m-multilingual-r2/resolve/main")
        try FileManager.default.createDirectory(at: files, withIntermediateDirectories: true)
        let model = packageRoot.appendingPathComponent("Fixtures/encoder/tiny-modernbert-silu")
        for name in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(at: model.appendingPathComponent(name), to: files.appendingPathComponent(name))
        }
        try FileManager.default.copyItem(
            at: packageRoot.appendingPathComponent("Fixtures/tokenizers/bytelevel-o200k.tokenizer.json"),
            to: files.appendingPathComponent("tokenizer.json"))
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["python3", "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", hub.path]
        let out = Pipe()
        server.standardOutput = out
        server.standardError = FileHandle.nullDevice
        try server.run()
        // "Serving HTTP on 127.0.0.1 port 41234 (http://127.0.0.1:41234/) ..."
        var banner = Data()
        while !banner.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            banner += chunk
        }
        let text = String(decoding: banner, as: UTF8.self)
        guard let range = text.range(of: #"port (\d+)"#, options: .regularExpression) else {
            server.terminate()
            throw NSError(domain: "http", code: 1, userInfo: [NSLocalizedDescriptionKey: "no port in '\(text)'"])
        }
        let port = text[range].split(separator: " ")[1]
        return (server, "http://127.0.0.1:\(port)")
    }

    func testPullDownloadsChecksAndInstallsFromALocalHub() throws {
        let (server, base) = try serveHub()
        defer { server.terminate() }
        let pull = try QuarryProcess.run(["model", "pull", "granite-embedding-97m-multilingual-r2", "--base-url", base],
                                         environment: environment)
        XCTAssertEqual(pull.status, 0, pull.stderr)
        let installed = home.appendingPathComponent("models/granite-embedding-97m-multilingual-r2")
        for name in ["config.json", "model.safetensors", "tokenizer.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: installed.appendingPathComponent(name).path), name)
        }
        let list = try QuarryProcess.run(["model", "list", "--json"], environment: environment)
        XCTAssertEqual(list.status, 0)
        let entry = try XCTUnwrap(list.jsonLines.first { $0["name"] as? String == "granite-embedding-97m-multilingual-r2" })
        XCTAssertEqual(entry["architecture"] as? String, "modernbert")

        // A model the hub does not have: clear error, nothing half-installed.
        let missing = try QuarryProcess.run(["model", "pull", "granite-embedding-311m-multilingual-r2", "--base-url", base],
                                            environment: environment)
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("not found"), missing.stderr)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: home.appendingPathComponent("models").path)
        XCTAssertEqual(leftovers, ["granite-embedding-97m-multilingual-r2"])
    }

    func testUnknownModelNameAndUnreachableHub() throws {
        let unknown = try QuarryProcess.run(["model", "pull", "no-such-model"], environment: environment)
        XCTAssertEqual(unknown.status, 2)
        XCTAssertTrue(unknown.stderr.contains("unknown model 'no-such-model'"), unknown.stderr)
        let unreachable = try QuarryProcess.run(["model", "pull", "granite-embedding-97m-multilingual-r2",
                                                 "--base-url", "http://127.0.0.1:9"], environment: environment)
        XCTAssertEqual(unreachable.status, 2)
        XCTAssertEqual(unreachable.stderr.split(separator: "\n").count, 1, unreachable.stderr)
    }

    func testAddRefusesBrokenModelDirectories() throws {
        let broken = home.appendingPathComponent("broken")
        try FileManager.default.copyItem(at: packageRoot.appendingPathComponent("Fixtures/encoder/tiny-modernbert-silu"),
                                         to: broken)
        try FileManager.default.copyItem(
            at: packageRoot.appendingPathComponent("Fixtures/tokenizers/bytelevel-o200k.tokenizer.json"),
            to: broken.appendingPathComponent("tokenizer.json"))
        let weights = broken.appendingPathComponent("model.safetensors")
        let data = try Data(contentsOf: weights)
        try data.prefix(data.count / 2).write(to: weights)
        let outcome = try QuarryProcess.run(["model", "add", broken.path], environment: environment)
        XCTAssertEqual(outcome.status, 2)
        XCTAssertTrue(outcome.stderr.contains("model.safetensors"), outcome.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: home.appendingPathComponent("models/broken").path))

        let noTokenizer = home.appendingPathComponent("no-tokenizer")
        try FileManager.default.copyItem(at: packageRoot.appendingPathComponent("Fixtures/encoder/tiny-modernbert-gelu"),
                                         to: noTokenizer)
        let missing = try QuarryProcess.run(["model", "add", noTokenizer.path], environment: environment)
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.lowercased().contains("tokenizer"), missing.stderr)
    }
}
