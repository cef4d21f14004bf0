import Foundation
import XCTest

/// A running `quarry mcp`, driven over its stdin and stdout pipes as an agent does.
final class McpSession {
    let process: Process
    private let input: FileHandle
    private let lines: LineQueue
    private let errors: PipeReader
    private var nextID = 1

    init(_ arguments: [String]) throws {
        let (process, stdin, stdout, stderr) = try QuarryProcess.startWithInput(["mcp"] + arguments)
        self.process = process
        input = stdin.fileHandleForWriting
        errors = PipeReader(stderr)
        lines = LineQueue(reading: stdout)
    }

    /// Sends raw bytes (a newline is not added).
    func sendRaw(_ bytes: Data) {
        // A dead server must fail the test, not kill the test process with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        XCTAssertNoThrow(try input.write(contentsOf: bytes), "the server still reads its input")
    }

    func send(_ line: String) {
        sendRaw(Data((line + "\n").utf8))
    }

    /// Sends a request with a fresh id and returns the reply, checking it carries that id.
    @discardableResult
    func request(_ method: String, _ params: [String: Any]? = nil, file: StaticString = #filePath,
                 line: UInt = #line) throws -> [String: Any] {
        let id = nextID
        nextID += 1
        var message: [String: Any] = ["jsonrpc": "2.0", "id": id, "method": method]
        if let params { message["params"] = params }
        send(String(decoding: try JSONSerialization.data(withJSONObject: message), as: UTF8.self))
        let reply = try next(file: file, line: line)
        XCTAssertEqual(reply["id"] as? Int, id, "reply to \(method)", file: file, line: line)
        return reply
    }

    /// The next reply, failing after `timeout` seconds.
    func next(timeout: Double = 60, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        guard let data = lines.pop(timeout: timeout) else {
            XCTFail("no reply within \(timeout) s; stderr: \(stderrText)", file: file, line: line)
            throw CancellationError()
        }
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        XCTAssertEqual(object?["jsonrpc"] as? String, "2.0", file: file, line: line)
        return try XCTUnwrap(object, "reply is a JSON object: \(String(decoding: data, as: UTF8.self))",
                             file: file, line: line)
    }

    /// Whether a reply arrives within `timeout` seconds (for messages that must get none).
    func hasReply(within timeout: Double) -> Bool {
        lines.peek(timeout: timeout)
    }

    /// Closes stdin and waits for the server to exit; returns its status.
    func finish() -> Int32 {
        try? input.close()
        process.waitUntilExit()
        return process.terminationStatus
    }

    var stderrText: String { process.isRunning ? "(running)" : String(decoding: errors.wait(), as: UTF8.self) }

    deinit {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}

/// Lines from a reader thread, handed to the test thread with a timeout.
final class LineQueue: @unchecked Sendable {
    private var lines: [Data] = []
    private var closed = false
    private let condition = NSCondition()

    init() {}

    /// The lines of `pipe`, read on a thread of their own until it closes.
    convenience init(reading pipe: Pipe) {
        self.init()
        Thread.detachNewThread { [self] in
            let handle = pipe.fileHandleForReading
            var pending = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: 0x0A) {
                    push(pending[pending.startIndex..<newline])
                    pending = Data(pending[(newline + 1)...])
                }
            }
            close()
        }
    }

    func push(_ line: Data) {
        condition.lock()
        lines.append(Data(line))
        condition.broadcast()
        condition.unlock()
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    func pop(timeout: Double) -> Data? {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: timeout)
        while lines.isEmpty && !closed {
            if !condition.wait(until: deadline) { break }
        }
        return lines.isEmpty ? nil : lines.removeFirst()
    }

    func peek(timeout: Double) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: timeout)
        while lines.isEmpty && !closed {
            if !condition.wait(until: deadline) { break }
        }
        return !lines.isEmpty
    }
}

extension QuarryProcess {
    /// Starts quarry with a pipe on standard input too.
    static func startWithInput(_ arguments: [String], in directory: URL? = nil) throws -> (Process, Pipe, Pipe, Pipe) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        if let directory { process.currentDirectoryURL = directory }
        let stdin = Pipe(), out = Pipe(), err = Pipe()
        process.standardInput = stdin
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return (process, stdin, out, err)
    }
}

/// A small repository indexed with the default model, for the servers' tests.
func indexedServerFixture() throws -> ScratchRepository {
    let repository = try ScratchRepository()
    try repository.write("src/auth.py", """
        def login_user(name, password):
            \"\"\"Check the password and start a session.\"\"\"
            if not verify_password(name, password):
                raise PermissionError("bad password")
            return start_session(name)


        def verify_password(name, password):
            return hash(password) == stored_hash(name)

        """)
    try repository.write("src/config.go", """
        package main

        // parseConfig reads the settings file.
        func parseConfig(path string) error {
        \treturn nil
        }

        """)
    try repository.write("README.md", "# Fixture\n\nA repository for the server tests.\n")
    try repository.commitAll("first")
    let outcome = try QuarryProcess.run(["index", repository.path, "--quiet"])
    XCTAssertEqual(outcome.status, 0, outcome.stderr)
    return repository
}
