import Engine
import Foundation
import QuarryCore
import Search

/// Maps requests to engine calls: the JSON API under /api/ and the search page at /.
package struct Router: Sendable {
    package let engine: QuarryEngine
    package let token: String?
    package static let maximumResults = 100

    package init(engine: QuarryEngine, token: String?) {
        self.engine = engine
        self.token = token
    }

    package func respond(to request: HTTPRequest) -> HTTPResponse {
        guard request.method == "GET" || request.method == "HEAD" else {
            return HTTPResponse(status: 405, contentType: "application/json; charset=utf-8",
                                body: HTTPResponse.error(405, "only GET is served").body, header: ("Allow", "GET, HEAD"))
        }
        guard request.bodyLength == 0 else { return .error(413, "requests here take no body") }
        guard authorized(request) else {
            var response = HTTPResponse.error(401, "a bearer token is required (Authorization: Bearer TOKEN)")
            response.header = ("WWW-Authenticate", "Bearer")
            return response
        }
        if let query = request.parameters["q"]?.last, query.utf8.count > SearchRequest.maximumQueryBytes {
            return .error(414, "the query is \(query.utf8.count) bytes; at most \(SearchRequest.maximumQueryBytes)")
        }
        do {
            switch request.path {
            case "/": return SearchPage(router: self, request: request).response()
            case "/api/search": return .json(try search(request))
            case "/api/status":
                return .json(engine.team == nil ? try engine.status(revision: request.value("rev")).json
                             : try engine.teamStatus())
            case "/api/file" where engine.team != nil:
                // The database holds chunk texts, not files; every result carries its chunk's text.
                return .error(501, "a team database holds the text of each chunk, not whole files: "
                              + "use the 'text' of a search result")
            case "/api/file": return .json(try file(request))
            default: return .error(404, "nothing at \(request.path); see /api/search, /api/status, /api/file or /")
            }
        } catch {
            return .error(HTTPResponse.status(for: error), "\(error)")
        }
    }

    /// Constant-time comparison, so response timing does not reveal the token.
    private func authorized(_ request: HTTPRequest) -> Bool {
        guard let token else { return true }
        let offered = request.authorization.flatMap { header -> String? in
            header.hasPrefix("Bearer ") ? String(header.dropFirst(7)) : nil
        } ?? request.value("token") ?? ""
        let (a, b) = (Array(offered.utf8), Array(token.utf8))
        var difference = a.count ^ b.count
        for index in 0..<min(a.count, b.count) { difference |= Int(a[index] ^ b[index]) }
        return difference == 0
    }

    /// The search a request asks for; a missing or bad parameter is `.invalidRequest`.
    package func searchRequest(_ request: HTTPRequest) throws -> SearchRequest {
        guard let query = request.value("q") else {
            throw EngineError(.invalidRequest, "the parameter q (the query) is required")
        }
        var search = SearchRequest(query: query)
        if let mode = request.value("mode") {
            guard let parsed = SearchMode(rawValue: mode) else {
                throw EngineError(.invalidRequest, "mode must be hybrid, semantic or lexical, not '\(mode)'")
            }
            search.mode = parsed
        }
        if let k = request.value("k") {
            guard let limit = Int(k), (1...Self.maximumResults).contains(limit) else {
                throw EngineError(.invalidRequest, "k must be an integer from 1 to \(Self.maximumResults), not '\(k)'")
            }
            search.limit = limit
        }
        for name in request.parameters["lang"] ?? [] where !name.isEmpty {
            // Any name makes a `Language` (a grammar manifest can add one): only the built-in ones filter here.
            guard let language = Language(rawValue: name.lowercased()), Language.allCases.contains(language) else {
                throw EngineError(.invalidRequest, "unknown language '\(name)'; one of "
                                  + Language.allCases.map(\.rawValue).joined(separator: ", "))
            }
            search.languages.insert(language)
        }
        search.paths = try (request.parameters["path"] ?? []).filter { !$0.isEmpty }.map { try PathGlob($0) }
        search.revision = request.value("rev")
        search.repositories = (request.parameters["repo"] ?? []).filter { !$0.isEmpty }
        try search.validate()
        return search
    }

    private func search(_ request: HTTPRequest) throws -> JSON {
        let search = try searchRequest(request)
        let response = try engine.search(search)
        var pairs: [(String, JSON)] = [("query", .string(search.query)), ("mode", .string(search.mode.rawValue)),
                                       ("results", .array(response.hits.map(\.json)))]
        if !response.notes.isEmpty { pairs.append(("notes", .array(response.notes.map { .string($0) }))) }
        return .object(pairs)
    }

    private func file(_ request: HTTPRequest) throws -> JSON {
        guard let path = request.value("path") else {
            throw EngineError(.invalidRequest, "the parameter path is required")
        }
        func line(_ name: String) throws -> Int? {
            try request.value(name).map { text in
                guard let number = Int(text), number >= 1 else {
                    throw EngineError(.invalidRequest, "\(name) must be a line number (1 or more), not '\(text)'")
                }
                return number
            }
        }
        return try engine.read(path: path, revision: request.value("rev"), start: try line("start"),
                               end: try line("end")).json
    }
}
