import Arguments
import Engine
import Foundation

enum StatusCommand {
    static let spec = CommandSpec(
        path: "quarry status",
        summary: "Show what the index holds: revisions, models, files, chunks, skipped blobs, size.",
        options: [
            OptionSpec("repo", value: "PATH", help: "Repository whose index to describe (default .)."),
            OptionSpec("index", value: "FILE", help: "Index file (default <git dir>/quarry/index.sqlite)."),
            OptionSpec("rev", value: "REV",
                       help: "Revision to count files for (default HEAD when indexed, else the newest indexed)."),
            .flag("json", help: "Print one JSON object."),
        ])

    static let command = Command(spec: spec) { context in
        let args = context.arguments
        let engine = try QuarryEngine.locate(index: args.value("index"), repo: args.value("repo"),
                                             library: ModelLibrary(paths: context.paths, environment: context.environment))
        let status = try engine.status(revision: args.value("rev"))
        if args.flag("json") {
            context.console.line(status.json.serialized)
            return .success
        }
        let console = context.console
        let stats = status.statistics
        console.line("index:      \(status.indexPath) (\(formatBytes(stats.fileSize)))")
        for size in status.revisions {
            let revision = size.revision
            let marker = revision.name == stats.revision ? "*" : " "
            console.line("revision: \(marker) \(revision.name) \(revision.commitID.prefix(12)) "
                         + "\(ResultPrinter.day(revision.commitTime)) \(size.files) files  \(revision.subject)")
        }
        for (index, size) in status.models.enumerated() {
            let current = status.vectorFileCurrent[index]
            let file = current || size.vectors == 0 ? "" : " (vector file out of date: run 'quarry index')"
            console.line("model:      \(size.model.name) (\(size.model.dimension) dims): \(size.vectors) vectors, "
                         + formatBytes(size.bytes) + file)
            if !status.isRepresentationCurrent(index) {
                let stored = status.representations[index]
                let fix = stored == plainRepresentation ? "'quarry index' converts them without embedding again"
                    : "reference questions missing or changed: scripts/setup.sh installs them"
                console.line("vectors:    \(stored); this build writes \(status.currentRepresentation) (\(fix))")
            }
            if let backlog = status.backlogs[index], let revision = stats.revision {
                console.line("embedding:  \(backlog.percentEmbedded)% of \(revision)'s texts (\(backlog.embedded) of "
                             + "\(backlog.texts)); keywords answer for the rest until 'quarry index' has embedded them")
            }
        }
        console.line("files:      \(stats.files)" + (stats.revision.map { " in \($0)" } ?? ""))
        console.line("blobs:      \(stats.blobs)")
        console.line("chunks:     \(stats.chunks)")
        for entry in status.languages {
            console.line("  \(entry.language.padding(toLength: 12, withPad: " ", startingAt: 0))"
                         + "\(entry.files) files, \(entry.chunks) chunks")
        }
        let skipped = stats.skipped.sorted { $0.key.rawValue < $1.key.rawValue }
        if !skipped.isEmpty {
            console.line("skipped:    " + skipped.map { "\($0.value) \($0.key.rawValue)" }.joined(separator: ", "))
        }
        return .success
    }
}
