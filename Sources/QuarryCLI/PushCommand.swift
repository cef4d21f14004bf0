import Arguments
import Engine
import Foundation

enum PushCommand {
    static let spec = CommandSpec(
        path: "quarry push",
        summary: "Publish the local index to a team database (PostgreSQL with pgvector).",
        discussion: """
        Copies the revisions of the local index (run 'quarry index' first) into a
        shared PostgreSQL database, where 'quarry search --db' searches every
        repository at once. Incremental: only blobs, chunk texts and vectors the
        database lacks are sent, and identical chunk texts from any repository
        are stored once. Each revision is published in one transaction, so
        readers see it whole or not at all; pushes of one repository wait for
        each other. The schema is created or upgraded on the first push; the
        role needs no superuser once 'CREATE EXTENSION vector' has been run in
        the database.

        Exit status: 0 when published, 2 on error (nothing half-published).

        Examples:
          quarry push "$QUARRY_DATABASE_URL"
          quarry push --name backend "$QUARRY_DATABASE_URL"
        """,
        options: [
            OptionSpec("repo", value: "PATH", help: "Repository whose index to publish (default .)."),
            OptionSpec("index", value: "FILE", help: "Index file (default <git dir>/quarry/index.sqlite)."),
            OptionSpec("name", value: "NAME",
                       help: "Repository name in the database (default: from the origin remote, else the directory)."),
            .flag("json", help: "Print one JSON object."),
        ],
        positionals: [PositionalSpec("URL", optional: true,
                                     help: "postgres://USER:PASSWORD@HOST:PORT/DATABASE (default $QUARRY_DATABASE_URL).")])

    static let command = Command(spec: spec) { context in
        let args = context.arguments
        guard let url = args.positional("URL") ?? context.environment["QUARRY_DATABASE_URL"].flatMap({
            $0.isEmpty ? nil : $0
        }) else {
            throw CLIError("give the database URL (postgres://...) or set QUARRY_DATABASE_URL")
        }
        let engine = try QuarryEngine.locate(index: args.value("index"), repo: args.value("repo"),
                                             library: ModelLibrary(paths: context.paths, environment: context.environment))
        let report = try engine.push(to: url, repositoryName: args.value("name"))
        let console = context.console
        if args.flag("json") {
            console.line(report.json.serialized)
            return .success
        }
        for (name, counts) in report.revisions {
            console.line(counts.unchanged ? "\(report.repository) \(name): unchanged"
                         : "\(report.repository) \(name): \(counts.files) files; sent \(counts.blobs) blobs, "
                           + "\(counts.chunks) chunks, \(counts.texts) texts, \(counts.vectors) vectors")
        }
        console.line(String(format: "published in %.2f s", report.seconds))
        return .success
    }
}
