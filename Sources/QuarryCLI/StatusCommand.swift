import Arguments
import Foundation
import QuarryCore
import Store

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
        let indexPath = try SearchCommand.resolveIndexPath(index: args.value("index"), repo: args.value("repo"))
        let store = try IndexStore(path: indexPath, mode: .readOnly)
        let revisions = try store.revisionSizes()
        let models = try store.modelSizes()
        // Whether searches map each model's vector file or fall back to reading SQLite.
        let current = try models.map { try store.isVectorFileCurrent(for: $0.model) }
        let stats = try store.statistics(revision: args.value("rev"))
        let languages = stats.languages.sorted { $0.value.chunks > $1.value.chunks }
        let skipped = stats.skipped.sorted { $0.key.rawValue < $1.key.rawValue }
        if args.flag("json") {
            context.console.line(JSON.object([
                ("index", .string(indexPath)),
                ("size_bytes", .int(stats.fileSize)),
                ("revisions", .array(revisions.map { size in
                    let revision = size.revision
                    return .object([("name", .string(revision.name)), ("commit", .string(revision.commitID)),
                                    ("date", .string(ISO8601DateFormatter().string(from: revision.commitTime))),
                                    ("author", .string(revision.author)),
                                    ("subject", .string(revision.subject)),
                                    ("files", .int(size.files)),
                                    ("indexed_at", .string(ISO8601DateFormatter().string(from: revision.indexedAt)))])
                })),
                ("models", .array(zip(models, current).map { size, current in
                    .object([("name", .string(size.model.name)), ("revision", .string(size.model.revision)),
                             ("dimension", .int(size.model.dimension)), ("vectors", .int(size.vectors)),
                             ("bytes", .int(size.bytes)), ("vector_file_current", .bool(current))])
                })),
                ("revision", stats.revision.map { .string($0) } ?? .null),
                ("files", .int(stats.files)),
                ("blobs", .int(stats.blobs)),
                ("chunks", .int(stats.chunks)),
                ("embeddings", .int(stats.embeddings)),
                ("languages", .object(languages.map { language, counts in
                    (language.rawValue, .object([("files", .int(counts.files)), ("chunks", .int(counts.chunks))]))
                })),
                ("skipped", .object(skipped.map { ($0.key.rawValue, .int($0.value)) })),
            ]).serialized)
            return .success
        }
        let console = context.console
        console.line("index:      \(indexPath) (\(formatBytes(stats.fileSize)))")
        for size in revisions {
            let revision = size.revision
            let marker = revision.name == stats.revision ? "*" : " "
            console.line("revision: \(marker) \(revision.name) \(revision.commitID.prefix(12)) "
                         + "\(ResultPrinter.day(revision.commitTime)) \(size.files) files  \(revision.subject)")
        }
        for (size, current) in zip(models, current) {
            let file = current || size.vectors == 0 ? "" : " (vector file out of date: run 'quarry index')"
            console.line("model:      \(size.model.name) (\(size.model.dimension) dims): \(size.vectors) vectors, "
                         + formatBytes(size.bytes) + file)
        }
        console.line("files:      \(stats.files)" + (stats.revision.map { " in \($0)" } ?? ""))
        console.line("blobs:      \(stats.blobs)")
        console.line("chunks:     \(stats.chunks)")
        for (language, counts) in languages {
            console.line("  \(language.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0))"
                         + "\(counts.files) files, \(counts.chunks) chunks")
        }
        if !skipped.isEmpty {
            console.line("skipped:    " + skipped.map { "\($0.value) \($0.key.rawValue)" }.joined(separator: ", "))
        }
        return .success
    }
}
