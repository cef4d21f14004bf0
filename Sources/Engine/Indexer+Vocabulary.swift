import Foundation
import Store

/// The cross-lingual keyword bridge's half of indexing: embed the index's
/// words (see `IndexStore.vocabulary`) that have no vector yet, so a search
/// can map a question in any language to the identifier words nearest it.
extension Indexer {
    /// Words held by fewer chunks are too rare to bridge to.
    static let vocabularyMinDocuments = 2
    /// The commonest words kept: enough for a large repository's identifier
    /// parts, few enough to embed in seconds and scan in a millisecond.
    static let vocabularyLimit = 20_000

    /// Embeds the vocabulary words without a vector for `record`; returns how many.
    func embedVocabulary(store: IndexStore, record: ModelRecord?) throws -> Int {
        guard let loaded = options.model, let record else { return 0 }
        let words = try store.vocabulary(minDocuments: Self.vocabularyMinDocuments, limit: Self.vocabularyLimit)
        let missing = try store.wordsWithoutVectors(words, model: record)
        for batchStart in stride(from: 0, to: missing.count, by: options.embeddingBatchSize * 4) {
            let batch = Array(missing[batchStart..<min(batchStart + options.embeddingBatchSize * 4, missing.count)])
            let vectors = try loaded.model.embed(batch, as: .query)
            try store.writeWordVectors(Array(zip(batch, vectors)).map { (word: $0.0, vector: $0.1) }, model: record)
        }
        return missing.count
    }
}
