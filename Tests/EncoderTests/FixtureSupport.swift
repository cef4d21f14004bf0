import Foundation
import XCTest
@testable import Encoder

/// Fixtures/encoder, found relative to this source file so tests run from any directory.
let encoderFixtures: String = {
    let here = URL(fileURLWithPath: #filePath)
    return here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/encoder").path
}()

/// expected.json of a tiny model directory, written by Fixtures/encoder/generate.py.
struct ExpectedOutputs: Decodable {
    var inputs: [[Int32]]
    var pooled: [[Float]]
    var hiddenIndex: Int
    var hidden: [[Float]]

    enum CodingKeys: String, CodingKey {
        case inputs, pooled, hidden
        case hiddenIndex = "hidden_index"
    }

    static func load(_ directory: String) throws -> ExpectedOutputs {
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/expected.json"))
        return try JSONDecoder().decode(ExpectedOutputs.self, from: data)
    }
}

func cosine(_ a: [Float], _ b: [Float]) -> Double {
    var dot = 0.0, na = 0.0, nb = 0.0
    for (x, y) in zip(a, b) {
        dot += Double(x) * Double(y)
        na += Double(x) * Double(x)
        nb += Double(y) * Double(y)
    }
    return dot / max((na * nb).squareRoot(), 1e-30)
}

func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    guard a.count == b.count else { return .infinity }
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// Worst agreement over a set of vectors.
struct Agreement: CustomStringConvertible {
    var minimumCosine = 1.0
    var maximumDifference: Float = 0

    init(_ actual: [[Float]], _ expected: [[Float]]) {
        if actual.count != expected.count { minimumCosine = -1; maximumDifference = .infinity }
        for (a, e) in zip(actual, expected) {
            minimumCosine = min(minimumCosine, cosine(a, e))
            maximumDifference = max(maximumDifference, maxAbsDifference(a, e))
        }
    }

    /// The parity bar of the module: cosine >= 0.9999 and max |diff| <= 1e-4 for every vector.
    var meetsParity: Bool { minimumCosine >= 0.9999 && maximumDifference <= 1e-4 }

    var description: String { "min cosine \(minimumCosine), max |diff| \(maximumDifference)" }
}

/// A fresh directory under the system temporary directory; the caller removes it.
func makeTemporaryDirectory(_ label: String) throws -> String {
    let path = NSTemporaryDirectory() + "quarry-encoder-\(label)-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

extension XCTestCase {
    /// A fresh temporary directory removed when the current test ends.
    func temporaryDirectory(_ label: String) throws -> String {
        let path = try makeTemporaryDirectory(label)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// Copies a fixture model directory so a test may damage its files.
    func copyOfFixture(_ name: String) throws -> String {
        let target = try temporaryDirectory(name)
        let source = encoderFixtures + "/" + name
        for item in try FileManager.default.contentsOfDirectory(atPath: source) {
            try FileManager.default.copyItem(atPath: source + "/" + item, toPath: target + "/" + item)
        }
        return target
    }
}
