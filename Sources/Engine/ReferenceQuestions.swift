import Foundation
import Search
import Store

/// The reference questions of `HubnessCorrection`: a text file of
/// `LANGUAGE<TAB>TEXT` lines, embedded once per model (as queries) and
/// cached as float32 rows under `QuarryPaths.cache`, keyed by model, model
/// revision and the file's digest.
package enum ReferenceQuestions {
    /// The correction for `loaded`, or nil when there is no reference file
    /// (then vectors are stored plain). Embeds the questions the first time
    /// for a model (seconds), then reads them from the cache.
    package static func correction(for loaded: LoadedModel, paths: QuarryPaths) throws -> HubnessCorrection? {
        guard let data = FileManager.default.contents(atPath: paths.referenceQuestions) else { return nil }
        let digest = digest(of: data)
        let texts = questions(in: String(decoding: data, as: UTF8.self))
        guard texts.count >= HubnessCorrection.neighbours else {
            throw EngineError("\(paths.referenceQuestions): fewer than \(HubnessCorrection.neighbours) reference questions")
        }
        let dimension = loaded.model.dimension
        let cacheFile = "\(paths.cache)/reference-\(loaded.name)-\(loaded.revision)-\(digest).f32"
        var vectors = cachedVectors(at: cacheFile, count: texts.count, dimension: dimension)
        if vectors == nil {
            let embedded = try loaded.model.embed(texts, as: .query)
            store(embedded, at: cacheFile)
            vectors = embedded
        }
        return vectors.flatMap { HubnessCorrection(references: $0, digest: digest) }
    }

    /// The representation an index run with a model writes now: the
    /// correction's name when the reference file is there, else plain.
    /// Cheap (digests the file; embeds nothing), for `quarry status`.
    package static func currentRepresentation(paths: QuarryPaths) -> String {
        guard let data = FileManager.default.contents(atPath: paths.referenceQuestions),
              questions(in: String(decoding: data, as: UTF8.self)).count >= HubnessCorrection.neighbours
        else { return plainRepresentation }
        return HubnessCorrection.representation(digest: digest(of: data))
    }

    private static func digest(of data: Data) -> String {
        String(ContentHash(digesting: [UInt8](data)).hex.prefix(12))
    }

    /// The question texts of a reference file; lines without a tab or text are skipped.
    package static func questions(in contents: String) -> [String] {
        contents.split(separator: "\n").compactMap { line in
            guard let tab = line.firstIndex(of: "\t") else { return nil }
            let text = line[line.index(after: tab)...].trimmingCharacters(in: .whitespaces)
            return text.isEmpty ? nil : text
        }
    }

    private static func cachedVectors(at path: String, count: Int, dimension: Int) -> [[Float]]? {
        guard let data = FileManager.default.contents(atPath: path), data.count == count * dimension * 4 else { return nil }
        let values = data.withUnsafeBytes { raw in
            (0..<count * dimension).map {
                Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)))
            }
        }
        guard values.allSatisfy(\.isFinite) else { return nil }
        return (0..<count).map { Array(values[($0 * dimension)..<(($0 + 1) * dimension)]) }
    }

    /// Best effort: without a writable cache the questions are embedded again next time.
    private static func store(_ vectors: [[Float]], at path: String) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(vectors.count * (vectors.first?.count ?? 0) * 4)
        for vector in vectors {
            for value in vector { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        }
        let directory = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temporary = path + ".\(getpid()).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(bytes)) else { return }
        if rename(temporary, path) != 0 { unlink(temporary) }
    }
}
