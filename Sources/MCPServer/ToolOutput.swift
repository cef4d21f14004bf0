import Engine
import Foundation
import Search

/// A tool's answer twice over: text for a model to read, and the structured
/// object its `outputSchema` describes.
struct ToolOutput {
    var text: String
    var structured: JSON

    init(text: String, structured: JSON) {
        self.text = text
        self.structured = structured
    }

    /// Results as `path:start-end  symbol  [language kind]` then the code, best first.
    init(search response: SearchResponse, mode: SearchMode) {
        var text = response.hits.isEmpty ? "No results." : ""
        for (rank, hit) in response.hits.enumerated() {
            let chunk = hit.result.chunk
            let symbol = chunk.symbol.isEmpty ? "" : "  \(chunk.symbol)"
            text += "\(rank + 1). \(hit.repository.map { $0 + ":" } ?? "")\(hit.result.path):\(chunk.startLine)-\(chunk.endLine)\(symbol)  "
                + "[\(chunk.language.rawValue) \(chunk.kind.rawValue)] @\(hit.result.revision)\n"
            text += chunk.text.hasSuffix("\n") ? chunk.text : chunk.text + "\n"
            text += "\n"
        }
        for note in response.notes { text += "Note: \(note)\n" }
        var pairs: [(String, JSON)] = [("mode", .string(mode.rawValue)),
                                       ("results", .array(response.hits.map(\.json)))]
        if !response.notes.isEmpty { pairs.append(("notes", .array(response.notes.map { .string($0) }))) }
        self.init(text: text.trimmingCharacters(in: .newlines), structured: .object(pairs))
    }

    init(status: IndexStatus) {
        let stats = status.statistics
        var lines = ["index: \(status.indexPath) (\(formatBytes(stats.fileSize)))"]
        for size in status.revisions {
            lines.append("revision: \(size.revision.name) \(size.revision.commitID.prefix(12)) "
                         + "\(size.files) files  \(size.revision.subject)")
        }
        for (size, missing) in zip(status.models, status.textsWithoutVectors ?? status.models.map { _ in 0 }) {
            lines.append("model: \(size.model.name) (\(size.model.dimension) dims): \(size.vectors) vectors"
                         + (missing > 0 ? ", \(missing) texts of \(stats.revision ?? "the revision") without one" : ""))
        }
        lines.append("files: \(stats.files), blobs: \(stats.blobs), chunks: \(stats.chunks), "
                     + "embeddings: \(stats.embeddings)")
        self.init(text: lines.joined(separator: "\n"), structured: status.json)
    }

    /// The lines numbered as a file viewer shows them.
    init(excerpt: FileExcerpt) {
        let header = "\(excerpt.path) at \(excerpt.revision) (\(excerpt.commit.prefix(12))), "
            + "lines \(excerpt.startLine)-\(excerpt.endLine) of \(excerpt.totalLines)"
        let numbered = excerpt.text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            .map { "\(excerpt.startLine + $0.offset): \($0.element)" }
        self.init(text: ([header] + (excerpt.text.isEmpty ? [] : numbered)).joined(separator: "\n"),
                  structured: excerpt.json)
    }
}
