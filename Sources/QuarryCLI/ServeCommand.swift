import Arguments
import Engine
import Foundation
import HTTPServer

enum ServeCommand {
    static let spec = CommandSpec(
        path: "quarry serve",
        summary: "Serve a JSON API and a search page over HTTP (127.0.0.1 by default).",
        discussion: """
        GET /api/search?q=&mode=&k=&lang=&path=&rev=  results as JSON (the keys of
        'quarry search --json'); GET /api/status; GET /api/file?path=&rev=&start=&end=
        (lines of a file at an indexed revision, from git objects); GET / the search
        page, rendered on the server (works without JavaScript; the query is in the
        URL, so a result page can be shared). Errors are JSON with a fitting status:
        400 bad parameter, 401 missing token, 404 unknown revision or path, 413/414
        too large, 503 while the index is busy.

        With --db, the team database 'quarry push' fills is served instead of a
        local index: results name their repository ("repo"), repo=NAME
        (repeatable) narrows a search, /api/status lists the repositories and
        their published revisions, and /api/file answers 501 (the database
        holds chunk texts, not files: each result carries its chunk's text).
        Connections are kept between requests (a dropped one is replaced once;
        503 while the database is unreachable).

        The model is loaded once; every request reads a fresh snapshot of the
        index, so a revision 'quarry index' commits is served without a restart. With --token,
        every request needs 'Authorization: Bearer TOKEN' (or ?token=TOKEN, which
        the page keeps in its form). Binding anything but loopback without --token
        prints a warning. Stops on SIGINT or SIGTERM.

        Examples:
          quarry serve                                   then open http://127.0.0.1:8080/
          quarry serve --host 0.0.0.0 --port 9000 --token "$(openssl rand -hex 16)"
          curl -s 'http://127.0.0.1:8080/api/search?q=parse+config&k=3&lang=go'
          curl -s 'http://127.0.0.1:8080/api/status'
          quarry serve --db "$QUARRY_DATABASE_URL"       every repository of a team database
        """,
        options: [
            OptionSpec("repo", value: "PATH", help: "Repository to serve (default .)."),
            OptionSpec("index", value: "FILE", help: "Index file (default <git dir>/quarry/index.sqlite)."),
            OptionSpec("host", value: "ADDRESS", help: "IPv4 address to listen on (default 127.0.0.1)."),
            OptionSpec("port", value: "N", help: "Port (default 8080; 0 picks a free one)."),
            OptionSpec("token", value: "TOKEN", help: "Require this bearer token on every request."),
            OptionSpec("threads", value: "N", help: "Worker threads (default 4)."),
            OptionSpec("db", value: "URL",
                       help: "Serve a team database (postgres://...) that 'quarry push' fills, not a local index."),
            OptionSpec("timeout", value: "SECONDS",
                       help: "Drop a connection idle or stalled this long (default 30): slow clients cannot hold slots."),
        ])

    static let command = Command(spec: spec) { context in
        let args = context.arguments
        var options = HTTPServer.Options()
        options.host = args.value("host") ?? options.host
        options.port = UInt16(try args.integer("port", default: Int(options.port), in: 0...65_535))
        options.threads = UInt32(try args.integer("threads", default: Int(options.threads), in: 1...256))
        options.timeoutSeconds = UInt32(try args.integer("timeout", default: Int(options.timeoutSeconds), in: 1...3600))
        let token = args.value("token")
        if token?.isEmpty == true { throw CLIError("--token must not be empty") }
        let library = ModelLibrary(paths: context.paths, environment: context.environment)
        let console = context.console
        let engine = try engine(args, library: library) { console.error("quarry serve: note: " + $0) }
        if token == nil && !options.host.hasPrefix("127.") {
            console.error("quarry serve: warning: listening on \(options.host) without --token: "
                          + "anyone who can reach this address can read the indexed code")
        }
        // Block the stop signals before any thread starts, so sigwait below receives them.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        let server = try HTTPServer(router: Router(engine: engine, token: token), options: options)
        let source = engine.team.map { "team database " + $0.displayURL } ?? "index " + engine.indexPath
        console.error("quarry serve: listening on http://\(options.host):\(server.port)/ (\(source))")
        // Warm the model so the first search does not pay for loading it.
        if (try? engine.warmUp()) == nil {
            console.error("quarry serve: note: default model '\(library.defaultName)' not loaded; "
                          + "semantic search is unavailable")
        }
        var received: Int32 = 0
        sigwait(&signals, &received)
        server.stop()
        console.error("quarry serve: stopped")
        return .success
    }

    /// The engine over the local index, or over the team database of `--db`,
    /// checked now: a wrong URL, a refused connection or a schema this Quarry
    /// cannot read stops the server before it listens.
    /// (`quarry mcp` shares it.)
    static func engine(_ args: ParsedArguments, library: ModelLibrary, note: (String) -> Void) throws -> QuarryEngine {
        guard let url = args.value("db") else {
            return try QuarryEngine.locate(index: args.value("index"), repo: args.value("repo") ?? ".",
                                           library: library, requireIndex: false)
        }
        if args.value("index") != nil || args.value("repo") != nil {
            throw CLIError("--db serves a team database: leave out --repo and --index")
        }
        let engine = QuarryEngine(database: url, library: library)
        if let remark = try engine.team?.check() { note(remark) }
        return engine
    }
}
