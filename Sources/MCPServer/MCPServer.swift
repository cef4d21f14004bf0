import Engine
import Foundation

/// A Model Context Protocol server over newline-delimited JSON-RPC 2.0.
///
/// Two protocol eras are answered side by side, decided per request: a
/// request whose `_meta` names a protocol version is the stateless
/// 2026-07-28 revision (`server/discover`, `resultType` on every result);
/// any other request is the handshake era (`initialize`, `ping`). Requests
/// are answered one at a time, in order, except refreshes (see `serve`);
/// nothing a client sends ends the server except closing its input.
package final class MCPServer {
    package static let handshakeVersions = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"]
    package static let statelessVersions = ["2026-07-28"]
    static let versionKey = "io.modelcontextprotocol/protocolVersion"
    /// Longer lines are refused unread: no request to these tools needs a megabyte.
    package static let maximumMessageBytes = 1 << 20

    let tools: ToolSet
    let log: (String) -> Void

    package init(engine: QuarryEngine, refreshRevisions: [String], grammarDirectory: String,
                 log: @escaping (String) -> Void) {
        tools = ToolSet(engine: engine, refreshRevisions: refreshRevisions, grammarDirectory: grammarDirectory)
        self.log = log
    }

    /// Answers every message on `input`, writing replies to `output`, until
    /// input ends. A refresh runs on a thread of its own and answers when done
    /// (JSON-RPC replies may come in any order), so searches go on meanwhile;
    /// at the end of input the server waits for it before returning.
    package func serve(input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO) {
        var reader = LineReader(descriptor: input, maximumLength: Self.maximumMessageBytes)
        let writer = LineWriter(descriptor: output)
        let background = DispatchGroup()
        defer { background.wait() }
        while let line = reader.next() {
            let reply: JSON?
            switch line {
            case .message(let bytes) where Self.isRefresh(bytes):
                background.enter()
                Thread.detachNewThread { [self] in
                    defer { background.leave() }
                    if let reply = answer(bytes) { _ = writer.write(reply) }
                }
                continue
            case .message(let bytes):
                reply = answer(bytes)
            case .tooLong(let bytes):
                log("refused a \(bytes)-byte message")
                reply = Self.response(id: .null, error: RPCError(
                    RPCError.invalidRequest, "message of \(bytes) bytes is over the limit of \(Self.maximumMessageBytes)"))
            }
            guard let reply else { continue }
            guard writer.write(reply) else { return }
        }
    }

    /// Whether a message is a call of the refresh tool (which may take minutes).
    private static func isRefresh(_ bytes: [UInt8]) -> Bool {
        guard let message = JSONValue.parse(bytes), message["method"] == .string("tools/call") else { return false }
        return message["params"]?["name"] == .string("refresh") && message["id"] != nil
    }

    /// The reply to one message, or nil for a notification (or a client's response).
    func answer(_ bytes: [UInt8]) -> JSON? {
        guard String(validating: bytes, as: UTF8.self) != nil else {
            return Self.response(id: .null, error: RPCError(RPCError.parseError, "parse error: the message is not valid UTF-8"))
        }
        guard let message = JSONValue.parse(bytes) else {
            return Self.response(id: .null, error: RPCError(RPCError.parseError, "parse error: the message is not JSON"))
        }
        guard case .object(let members) = message else {
            let what = if case .array = message { "batches are not supported; send one request per line" }
                       else { "a request is a JSON object, not \(message.typeName)" }
            return Self.response(id: .null, error: RPCError(RPCError.invalidRequest, what))
        }
        let id = members["id"]
        if let id {
            switch id {
            case .string, .integer: break
            default:
                return Self.response(id: .null, error: RPCError(
                    RPCError.invalidRequest, "the id must be a string or an integer, not \(id.typeName)"))
            }
        }
        let replyID = id?.json ?? .null
        guard members["jsonrpc"] == .string("2.0") else {
            return Self.response(id: replyID, error: RPCError(RPCError.invalidRequest, "\"jsonrpc\" must be \"2.0\""))
        }
        guard let methodValue = members["method"] else {
            // A response to a request this server never sends: nothing to answer.
            if members["result"] != nil || members["error"] != nil { return nil }
            return Self.response(id: replyID, error: RPCError(RPCError.invalidRequest, "the request has no method"))
        }
        guard let method = methodValue.string else {
            return Self.response(id: replyID, error: RPCError(RPCError.invalidRequest,
                                                               "the method must be a string, not \(methodValue.typeName)"))
        }
        guard id != nil else {
            if method.hasPrefix("notifications/") { return nil }
            // JSON-RPC would drop it silently; a request that lost its id is more likely a client bug worth naming.
            return Self.response(id: .null, error: RPCError(RPCError.invalidRequest,
                                                             "request '\(method)' has no id (only notifications/* may omit it)"))
        }
        do {
            return Self.response(id: replyID, result: try dispatch(method, params: members["params"]))
        } catch let error as RPCError {
            return Self.response(id: replyID, error: error)
        } catch {
            return Self.response(id: replyID, error: RPCError(RPCError.internalError, "\(error)"))
        }
    }

    private func dispatch(_ method: String, params: JSONValue?) throws -> JSON {
        if let params, case .object = params {} else if let params {
            throw RPCError(RPCError.invalidParams, "params must be an object, not \(params.typeName)")
        }
        let version = params?["_meta"]?[Self.versionKey]
        guard let version else { return try handshakeEra(method, params: params) }
        guard let requested = version.string, Self.statelessVersions.contains(requested) else {
            throw RPCError(RPCError.unsupportedVersion, "unsupported protocol version \(version.json.serialized)",
                           data: .object([("supported", .array(Self.statelessVersions.map { .string($0) })),
                                          ("requested", version.json)]))
        }
        var result: [(String, JSON)]
        switch method {
        case "server/discover":
            result = [("supportedVersions", .array((Self.statelessVersions + Self.handshakeVersions.reversed())
                                                    .map { .string($0) })),
                      ("capabilities", capabilities), ("serverInfo", serverInfo), ("instructions", instructions)]
            result += cacheHints
        case "tools/list":
            result = [("tools", .array(tools.definitions))] + cacheHints
        case "tools/call":
            result = try tools.call(params)
        default:
            throw RPCError(RPCError.methodNotFound, "method '\(method)' is not part of protocol version \(requested)")
        }
        return .object(result + [("resultType", .string("complete"))])
    }

    private func handshakeEra(_ method: String, params: JSONValue?) throws -> JSON {
        switch method {
        case "initialize":
            let requested = params?["protocolVersion"]?.string
            let version = requested.flatMap { Self.handshakeVersions.contains($0) ? $0 : nil }
                ?? Self.handshakeVersions.last ?? ""
            return .object([("protocolVersion", .string(version)), ("capabilities", capabilities),
                            ("serverInfo", serverInfo), ("instructions", instructions)])
        case "ping":
            return .object([])
        case "tools/list":
            return .object([("tools", .array(tools.definitions))])
        case "tools/call":
            return .object(try tools.call(params))
        case "server/discover":
            // A probe without a version: say what is spoken, so the client can pick.
            return .object([("supportedVersions", .array((Self.statelessVersions + Self.handshakeVersions.reversed())
                                                         .map { .string($0) })),
                            ("capabilities", capabilities), ("serverInfo", serverInfo),
                            ("instructions", instructions)] + cacheHints + [("resultType", .string("complete"))])
        default:
            throw RPCError(RPCError.methodNotFound, "method '\(method)' not found")
        }
    }

    private var capabilities: JSON { .object([("tools", .object([("listChanged", .bool(false))]))]) }
    private var serverInfo: JSON { .object([("name", .string("quarry")), ("version", .string(QuarryEngine.version))]) }
    private var instructions: JSON {
        .string("Quarry searches this repository's indexed git revisions by meaning and keywords. "
                + "Use search to find code, read to see a file's lines, status for what is indexed.")
    }
    /// The tool list changes only with a new Quarry, yet a short lifetime keeps a
    /// long-lived client honest; `private`: the answers describe one user's repository.
    private var cacheHints: [(String, JSON)] { [("ttlMs", .int(60_000)), ("cacheScope", .string("private"))] }

    static func response(id: JSON, result: JSON) -> JSON {
        .object([("jsonrpc", .string("2.0")), ("id", id), ("result", result)])
    }

    static func response(id: JSON, error: RPCError) -> JSON {
        .object([("jsonrpc", .string("2.0")), ("id", id), ("error", error.json)])
    }
}

/// Writes whole reply lines from any thread, one at a time, so lines never interleave.
final class LineWriter: @unchecked Sendable {
    // @unchecked: the descriptor is only written under `lock`.
    private let descriptor: Int32
    private let lock = NSLock()

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Writes `reply` and a newline; false when the client has gone (EPIPE).
    func write(_ reply: JSON) -> Bool {
        var bytes = Array((reply.serialized + "\n").utf8)[...]
        lock.lock()
        defer { lock.unlock() }
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return false }
            bytes = bytes.dropFirst(written)
        }
        return true
    }
}
