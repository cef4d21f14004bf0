import Engine
import Foundation
import QuarryCore
import Search

/// The four tools and how a call becomes an engine request. A failure of
/// the work itself (an unknown revision, a busy index) is a tool result with
/// `isError: true`; a malformed call is a JSON-RPC error.
struct ToolSet {
    let engine: QuarryEngine
    let refreshRevisions: [String]
    let grammarDirectory: String

    /// A team database (`--db`) holds chunks of many repositories, not one
    /// index and its files: it answers the search tool only.
    var definitions: [JSON] { engine.team == nil ? ToolSchemas.all : [ToolSchemas.search] }

    /// The `tools/call` result members for `params` ({name, arguments}).
    func call(_ params: JSONValue?) throws(RPCError) -> [(String, JSON)] {
        guard let nameValue = params?["name"] else {
            throw RPCError(RPCError.invalidParams, "tools/call needs the tool's name")
        }
        guard let name = nameValue.string else {
            throw RPCError(RPCError.invalidParams, "the tool name must be a string, not \(nameValue.typeName)")
        }
        guard let allowed = ToolSchemas.argumentNames[name] else {
            throw RPCError(RPCError.invalidParams,
                           "unknown tool '\(name)'; the tools are \(ToolSchemas.argumentNames.keys.sorted().joined(separator: ", "))")
        }
        guard engine.team == nil || name == "search" else {
            throw RPCError(RPCError.invalidParams, "'\(name)' needs a local index; a team database (--db) answers search only")
        }
        let arguments = try ToolArguments(tool: name, arguments: params?["arguments"], allowed: allowed)
        let work: () throws -> ToolOutput
        switch name {
        case "search": work = try search(arguments)
        case "status": work = { try status() }
        case "read": work = try read(arguments)
        default: work = { try refresh() }
        }
        do {
            let output = try work()
            return [("content", .array([Self.text(output.text)])), ("structuredContent", output.structured),
                    ("isError", .bool(false))]
        } catch {
            // One line: the reason an agent can act on.
            let reason = "\(error)".split(separator: "\n").first.map(String.init) ?? "failed"
            return [("content", .array([Self.text(reason)])), ("isError", .bool(true))]
        }
    }

    private static func text(_ text: String) -> JSON {
        .object([("type", .string("text")), ("text", .string(text))])
    }

    /// Checks the arguments now (errors are invalid params) and returns the work.
    private func search(_ arguments: ToolArguments) throws(RPCError) -> () throws -> ToolOutput {
        var request = SearchRequest(query: try arguments.requiredString("query"))
        if let mode = try arguments.choice("mode", of: SearchMode.allCases.map(\.rawValue)) {
            request.mode = SearchMode(rawValue: mode) ?? .hybrid
        }
        request.limit = try arguments.integer("limit", in: 1...ToolSchemas.maximumLimit) ?? 10
        if let language = try arguments.choice("language", of: Language.allCases.map(\.rawValue)) {
            request.languages = [Language(rawValue: language) ?? .other]
        }
        if let glob = try arguments.string("path") {
            do {
                request.paths = [try PathGlob(glob)]
            } catch {
                throw RPCError(RPCError.invalidParams, "search: \(error)")
            }
        }
        request.revision = try arguments.string("revision")
        request.repositories = try arguments.string("repository").map { [$0] } ?? []
        do {
            try request.validate()
        } catch {
            throw RPCError(RPCError.invalidParams, "search: \(error)")
        }
        return { [engine] in
            let response = try engine.search(request)
            return ToolOutput(search: response, mode: request.mode)
        }
    }

    private func status() throws -> ToolOutput {
        ToolOutput(status: try engine.status(coverage: true))
    }

    private func read(_ arguments: ToolArguments) throws(RPCError) -> () throws -> ToolOutput {
        let path = try arguments.requiredString("path")
        let start = try arguments.integer("start_line", in: 1...Int(Int32.max))
        let end = try arguments.integer("end_line", in: 1...Int(Int32.max))
        let revision = try arguments.string("revision")
        return { [engine] in ToolOutput(excerpt: try engine.read(path: path, revision: revision, start: start, end: end)) }
    }

    private func refresh() throws -> ToolOutput {
        do {
            let summary = try engine.refresh(revisions: refreshRevisions, grammarDirectory: grammarDirectory)
            return ToolOutput(text: summary.humanText, structured: summary.json)
        } catch let error as EngineError where error.kind == .busy {
            throw EngineError(.busy, "a refresh is already running; try again later (\(error))")
        }
    }
}
