import Arguments
import Engine
import Foundation
import GitSource
import Store

enum GcCommand {
    static let spec = CommandSpec(
        path: "quarry gc",
        summary: "Drop revisions from the index and everything no kept revision reaches.",
        discussion: """
        Blobs, chunks, full-text rows and vectors are shared between revisions;
        gc deletes those that no remaining revision's file list reaches, then
        returns the freed pages to the file system. Without options it only
        collects what earlier runs left unreachable.

        --keep N keeps the N revisions with the newest commits (HEAD wins a tie)
        and drops the others. --drop-missing drops revisions whose commit the
        repository no longer has (history rewritten by a force-push or rebase);
        do not use it in a shallow clone, where old commits are missing on purpose.

        Takes the same lock as 'quarry index'.

        Examples:
          quarry gc --keep 20
          quarry gc --drop v0.9 --drop feature/old
          quarry gc --drop-missing --json
        """,
        options: [
            OptionSpec("repo", value: "PATH", help: "Repository whose index to collect (default .)."),
            OptionSpec("index", value: "FILE", help: "Index file (default <git dir>/quarry/index.sqlite)."),
            OptionSpec("keep", value: "N", help: "Keep only the N revisions with the newest commits."),
            OptionSpec("drop", value: "REV", repeatable: true, help: "Drop this indexed revision."),
            .flag("drop-missing", help: "Drop revisions whose commit is no longer in the repository."),
            OptionSpec("wait", value: "SECONDS", help: "Wait this long for a running index run (default 0)."),
            .flag("json", help: "Print one JSON object."),
        ])

    static let command = Command(spec: spec) { context in
        let args = context.arguments
        let indexPath = try QuarryEngine.locate(index: args.value("index"), repo: args.value("repo"),
                                                library: ModelLibrary(paths: context.paths,
                                                                      environment: context.environment)).indexPath
        let lock = try IndexLock(indexPath: indexPath, waitSeconds: Double(try args.integer("wait", default: 0, in: 0...86_400)))
        defer { lock.release() }
        let store = try IndexStore(path: indexPath, mode: .readWrite)
        let sizeBefore = try store.statistics().fileSize
        let revisions = try store.revisions()
        var dropped: [String] = []
        for name in args.allValues("drop") {
            guard revisions.contains(where: { $0.name == name }) else { throw StoreError.unknownRevision(name) }
            dropped.append(name)
        }
        if let keep = try args.value("keep").map({ _ in try args.integer("keep", default: 1, in: 0...1_000_000) }) {
            let newestFirst = revisions.sorted {
                ($0.commitTime, $0.name == "HEAD" ? 1 : 0, $0.indexedAt) > ($1.commitTime, $1.name == "HEAD" ? 1 : 0, $1.indexedAt)
            }
            dropped += newestFirst.dropFirst(keep).map(\.name)
        }
        if args.flag("drop-missing") {
            let repository = try GitRepository(discoveringFrom: args.value("repo") ?? ".")
            dropped += revisions.filter { (try? repository.resolveCommit($0.commitID)) == nil }.map(\.name)
        }
        var unique: [String] = []
        for name in dropped where !unique.contains(name) { unique.append(name) }
        for name in unique { try store.removeRevision(named: name) }
        let collected = try store.collectGarbage()
        let sizeAfter = try store.statistics().fileSize
        if args.flag("json") {
            context.console.line(JSON.object([
                ("index", .string(indexPath)),
                ("dropped_revisions", .array(unique.map { .string($0) })),
                ("kept_revisions", .int(revisions.count - unique.count)),
                ("blobs", .int(collected.blobs)),
                ("chunks", .int(collected.chunks)),
                ("embeddings", .int(collected.embeddings)),
                ("size_before", .int(sizeBefore)),
                ("size_after", .int(sizeAfter)),
            ]).serialized)
        } else {
            let names = unique.isEmpty ? "no revisions" : unique.joined(separator: ", ")
            context.console.error("dropped \(names); removed \(collected.blobs) blobs, \(collected.chunks) chunks, "
                                  + "\(collected.embeddings) vectors; \(formatBytes(sizeBefore)) -> \(formatBytes(sizeAfter))")
        }
        return .success
    }
}
