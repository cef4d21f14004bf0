import Arguments
import Foundation
import QuarryCore
import Store

enum StatusCommand {
    static let spec = CommandSpec(
        path: "quarry status",
        summary: "Show what the index holds: revisions, files, chunks, skipped blobs, size.",
        options: [
            OptionSpec("repo", value: "PATH", help: "Repository whose index to describe (default .)."),
            OptionSpec("index", value: "FILE", help: "Index file (default <git dir>/quarry/index.sqlite)."),
            .flag("json", help: "Print one JSON object."),
        ])

    static let command = Command(spec: spec) { context in
        let args = context.arguments
        let indexPath = try SearchCommand.resolveIndexPath(index: args.value("index"), repo: args.value("repo"))
        let store = try IndexStore(path: indexPath, mode: .readOnly)
        let revisions = try store.revisions()
        let stats = try store.statistics()
        if args.flag("json") {
            context.console.line(JSON.object([
                ("index", .string(indexPath)),
                ("size_bytes", .int(stats.fileSizeBytes)),
                ("revisions", .array(revisions.map { revision in
                    .object([("name", .string(revision.name)), ("commit", .string(revision.commitID)),
                             ("files", .int(revision.fileCount))])
                })),
                ("blobs", .int(stats.blobCount)),
                ("chunks", .int(stats.chunkCount)),
                ("chunks_by_language", .object(stats.chunksByLanguage.sorted { $0.key.rawValue < $1.key.rawValue }
                    .map { ($0.key.rawValue, .int($0.value)) })),
                ("skipped", .object(stats.skippedByReason.sorted { $0.key.rawValue < $1.key.rawValue }
                    .map { ($0.key.rawValue, .int($0.value)) })),
            ]).serialized)
            return .success
        }
        let console = context.console
        console.line("index:     \(indexPath) (\(formatBytes(stats.fileSizeBytes)))")
        for revision in revisions {
            console.line("revision:  \(revision.name) \(revision.commitID.prefix(12)), \(revision.fileCount) files")
        }
        console.line("blobs:     \(stats.blobCount)")
        console.line("chunks:    \(stats.chunkCount)")
        for (language, count) in stats.chunksByLanguage.sorted(by: { $0.value > $1.value }) {
            console.line("  \(language.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0))\(count)")
        }
        if !stats.skippedByReason.isEmpty {
            console.line("skipped:   " + stats.skippedByReason.sorted { $0.key.rawValue < $1.key.rawValue }
                .map { "\($0.value) \($0.key.rawValue)" }.joined(separator: ", "))
        }
        return .success
    }
}
