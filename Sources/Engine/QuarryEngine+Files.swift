import Foundation
import GitSource
import Store

/// Lines of one file as an indexed revision holds it.
package struct FileExcerpt: Sendable {
    package var path: String
    package var revision: String
    package var commit: String
    package var startLine: Int
    package var endLine: Int
    package var totalLines: Int
    /// The lines `startLine...endLine`, joined by newlines.
    package var text: String

    package var json: JSON {
        .object([("path", .string(path)), ("rev", .string(revision)), ("commit", .string(commit)),
                 ("start_line", .int(startLine)), ("end_line", .int(endLine)),
                 ("total_lines", .int(totalLines)), ("text", .string(text))])
    }
}

extension QuarryEngine {
    /// The most lines one read returns; a client pages through longer files.
    package static let maximumReadLines = 2000

    /// Lines `start...end` (1-based; default the first `maximumReadLines`) of
    /// `path` at an indexed `revision` (default HEAD when indexed, else the
    /// newest). The bytes come from the git object the index recorded, never
    /// from the working tree, and only paths in that revision's file list are
    /// served, so nothing outside the repository's indexed content can be read.
    package func read(path rawPath: String, revision: String? = nil, start: Int? = nil,
                      end: Int? = nil) throws -> FileExcerpt {
        let path = try Self.repositoryRelative(rawPath)
        guard let repositoryPath else {
            throw EngineError(.notFound, "reading files needs the repository; give its path (--repo)")
        }
        let (name, commit, blobID) = try withSnapshot { store throws -> (String, String, String) in
            let revisions = try store.revisions()
            let record: RevisionRecord?
            if let revision {
                record = revisions.first { $0.name == revision }
            } else {
                record = revisions.first { $0.name == "HEAD" } ?? revisions.first
            }
            guard let record else {
                throw EngineError(.notFound, revision.map { "revision '\($0)' is not indexed" }
                                  ?? "the index holds no revision; run 'quarry index' first")
            }
            guard let file = try store.files(in: record.name).first(where: { $0.path == path }) else {
                throw EngineError(.notFound, "no file '\(path)' in indexed revision '\(record.name)'")
            }
            return (record.name, record.commitID, file.blobID)
        }
        let bytes = try GitRepository(discoveringFrom: repositoryPath).blobContents(blobID)
        guard !bytes.contains(0) else {
            throw EngineError(.invalidRequest, "'\(path)' is a binary file")
        }
        var lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        let first = start ?? 1
        guard first >= 1 else { throw EngineError(.invalidRequest, "start line must be 1 or more, not \(first)") }
        guard first <= max(1, lines.count) else {
            throw EngineError(.invalidRequest, "'\(path)' has \(lines.count) lines; start line \(first) is past the end")
        }
        let last = min(end ?? first + Self.maximumReadLines - 1, lines.count, first + Self.maximumReadLines - 1)
        guard end.map({ $0 >= first }) ?? true else {
            throw EngineError(.invalidRequest, "end line \(end ?? 0) is before start line \(first)")
        }
        let text = last >= first ? lines[(first - 1)...(last - 1)].joined(separator: "\n") : ""
        return FileExcerpt(path: path, revision: name, commit: commit, startLine: first,
                           endLine: max(first, last), totalLines: lines.count, text: text)
    }

    /// `path` as the index stores it (relative, `/`-separated, no `.` parts), or
    /// an error for anything that could name a file outside the repository.
    package static func repositoryRelative(_ path: String) throws -> String {
        guard !path.isEmpty else { throw EngineError(.invalidRequest, "the path is empty") }
        guard !path.unicodeScalars.contains("\0") else {
            throw EngineError(.invalidRequest, "the path contains a NUL character")
        }
        guard !path.hasPrefix("/"), !path.hasPrefix("~") else {
            throw EngineError(.invalidRequest, "'\(path)' is absolute; paths are relative to the repository root")
        }
        let parts = path.split(separator: "/").filter { $0 != "." }
        guard !parts.contains("..") else {
            throw EngineError(.invalidRequest, "'\(path)' leaves the repository; '..' is not allowed")
        }
        guard !parts.isEmpty else { throw EngineError(.invalidRequest, "'\(path)' names no file") }
        return parts.joined(separator: "/")
    }
}
