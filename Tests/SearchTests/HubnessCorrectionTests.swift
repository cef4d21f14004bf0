import Search
import TestSupport
import XCTest

final class HubnessCorrectionTests: XCTestCase {
    private func randomUnit(_ dimension: Int, using generator: inout SeededGenerator) -> [Float] {
        let vector = (0..<dimension).map { _ in Float.random(in: -1...1, using: &generator) }
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return vector.map { $0 / norm }
    }

    func testHubnessIsTheMeanCosineOfTheNearestReferences() throws {
        var generator = SeededGenerator(seed: 11)
        let dimension = 24
        let references = (0..<700).map { _ in randomUnit(dimension, using: &generator) }
        let correction = try XCTUnwrap(HubnessCorrection(references: references, digest: "test"))
        // More rows than one page of the score matrix, and rows of any length.
        let vectors = (0..<1_100).map { row in randomUnit(dimension, using: &generator).map { $0 * Float(1 + row % 3) } }
        let hubness = correction.hubness(of: vectors)
        XCTAssertEqual(hubness.count, vectors.count)
        for (vector, h) in zip(vectors, hubness).prefix(1_100) where Int.random(in: 0..<10, using: &generator) == 0 {
            let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let cosines = references.map { reference in zip(vector, reference).reduce(0) { $0 + $1.0 * $1.1 } / norm }
            let expected = cosines.sorted(by: >).prefix(HubnessCorrection.neighbours).reduce(0, +)
                / Float(HubnessCorrection.neighbours)
            XCTAssertEqual(h, expected, accuracy: 1e-5)
        }
    }

    func testAHubShrinksMoreThanAChunkOnlyOneQuestionIsNear() throws {
        var generator = SeededGenerator(seed: 5)
        let dimension = 16
        // Half the references cluster around one direction: a chunk there is a hub.
        let centre = randomUnit(dimension, using: &generator)
        let references = (0..<200).map { index -> [Float] in
            let noise = randomUnit(dimension, using: &generator)
            return index % 2 == 0 ? zip(centre, noise).map { $0 + 0.1 * $1 } : noise
        }
        let correction = try XCTUnwrap(HubnessCorrection(references: references, digest: "test"))
        let lonely = randomUnit(dimension, using: &generator)
        let scaled = correction.applied(to: [centre, lonely])
        let hubness = correction.hubness(of: [centre, lonely])
        XCTAssertGreaterThan(hubness[0], hubness[1])
        let norms = scaled.map { $0.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        XCTAssertLessThan(norms[0], norms[1])
        XCTAssertEqual(norms[0], HubnessCorrection.scale(forHubness: hubness[0]), accuracy: 1e-5)
        // Direction is kept: only the length changes.
        let cosine = zip(scaled[1], lonely).reduce(0) { $0 + $1.0 * $1.1 } / norms[1]
        XCTAssertEqual(cosine, 1, accuracy: 1e-5)
        // A chunk of typical hubness keeps its length.
        XCTAssertEqual(HubnessCorrection.scale(forHubness: 0.85), 1, accuracy: 1e-6)
    }

    func testUnusableReferenceSetsAreRefused() {
        XCTAssertNil(HubnessCorrection(references: Array(repeating: [1, 0], count: 9), digest: "few"))
        XCTAssertNil(HubnessCorrection(references: Array(repeating: [1, 0], count: 9) + [[1, 0, 0]], digest: "mixed"))
        XCTAssertNil(HubnessCorrection(references: Array(repeating: [1, .nan], count: 12), digest: "nan"))
        XCTAssertNotNil(HubnessCorrection(references: Array(repeating: [1, 0], count: 10), digest: "ok"))
        XCTAssertEqual(HubnessCorrection(references: Array(repeating: [1, 0], count: 10), digest: "abc")?.representation,
                       "hubness-\(HubnessCorrection.version)-abc")
    }

    func testAStoredLengthGivesBackThePlainCosineOrAnyOtherStrength() {
        for h: Float in [0.78, 0.85, 0.9] {
            let stored = HubnessCorrection.scale(forHubness: h)
            // A dot product with a stored vector is cosine * stored length.
            let cosine: Float = 0.62
            let dot = cosine * stored
            XCTAssertEqual(dot * HubnessCorrection.lengthFactor(norm: stored, strength: 0), cosine, accuracy: 1e-6)
            XCTAssertEqual(HubnessCorrection.lengthFactor(norm: stored, strength: nil), 1)
            XCTAssertEqual(HubnessCorrection.lengthFactor(norm: stored, strength: HubnessCorrection.strength), 1)
            let half = HubnessCorrection.strength / 2
            let expected = cosine * (1 - half * h) / (1 - half * 0.85)
            XCTAssertEqual(dot * HubnessCorrection.lengthFactor(norm: stored, strength: half), expected, accuracy: 1e-5)
        }
        // Plain vectors (an index without the correction) rank the same at every strength.
        XCTAssertEqual(HubnessCorrection.lengthFactor(norm: 1, strength: 0), 1, accuracy: 1e-6)
        XCTAssertEqual(HubnessCorrection.lengthFactor(norm: 1, strength: 0.1), 1, accuracy: 1e-6)
    }

    func testQuestionsTheKeywordsCoverRankByPlainCosine() {
        XCTAssertNil(HubnessCorrection.strength(forCoverage: 0))
        XCTAssertNil(HubnessCorrection.strength(forCoverage: 0.49))
        XCTAssertEqual(HubnessCorrection.strength(forCoverage: 0.5), 0)
        XCTAssertEqual(HubnessCorrection.strength(forCoverage: 1), 0)
    }
}
