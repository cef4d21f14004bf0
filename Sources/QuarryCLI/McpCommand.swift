import Arguments
import Engine
import Foundation
import MCPServer

enum McpCommand {
    static let spec = CommandSpec(
        path: "quarry mcp",
        summary: "Serve the index to coding agents over the Model Context Protocol (stdio).",
        discussion: """
        Reads JSON-RPC 2.0 messages from stdin, one per line, and answers on
        stdout; logs go to stderr. Speaks the stateless protocol revision
        2026-07-28 (server/discover) and the handshake revisions 2024-11-05 to
        2025-11-25 (initialize). Tools: search, status, read (lines of a file
        at an indexed revision, from git objects) and refresh (re-index the
        --rev revisions). The model is loaded once; every request reads a fresh
        snapshot of the index, so revisions indexed meanwhile are seen at once.
        Runs until stdin closes.

        With --db, the team database 'quarry push' fills is served instead: the
        search tool alone (results name their repository; its 'repository'
        argument narrows to one), over connections kept between calls.

        Examples:
          quarry mcp                           serve the index of the repository you are in
          quarry mcp --repo . --rev HEAD --rev main
          echo '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' | quarry mcp
          quarry mcp --db "$QUARRY_DATABASE_URL"   search every repository of a team database
        """,
        options: [
            OptionSpec("repo", value: "PATH", help: "Repository to serve (default .)."),
            OptionSpec("index", value: "FILE", help: "Index file (default <git dir>/quarry/index.sqlite)."),
            OptionSpec("rev", value: "REV", repeatable: true, help: "Revision the refresh tool re-indexes (default HEAD)."),
            OptionSpec("db", value: "URL",
                       help: "Serve a team database (postgres://...) that 'quarry push' fills, not a local index."),
        ])

    static let command = Command(spec: spec) { context in
        let args = context.arguments
        let library = ModelLibrary(paths: context.paths, environment: context.environment)
        let console = context.console
        let engine = try ServeCommand.engine(args, library: library) { console.error("quarry mcp: note: " + $0) }
        // Warm the model while the client connects; a search waits for it.
        Thread.detachNewThread {
            if (try? engine.warmUp()) == nil {
                console.error("quarry mcp: note: default model '\(library.defaultName)' not loaded; "
                              + "semantic search is unavailable")
            }
        }
        console.error("quarry mcp: serving \(engine.team.map { "team database " + $0.displayURL } ?? engine.indexPath) on stdio")
        let server = MCPServer(engine: engine, refreshRevisions: args.allValues("rev").isEmpty ? ["HEAD"] : args.allValues("rev"),
                               grammarDirectory: context.paths.grammars, log: { console.error("quarry mcp: " + $0) })
        server.serve()
        return .success
    }
}
