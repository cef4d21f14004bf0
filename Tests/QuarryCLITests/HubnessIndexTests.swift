import Foundation
import Store
import XCTest

/// The hubness correction end to end, on the real model: a plain index (no
/// reference questions) is brought to the correction by rescaling its stored
/// vectors, which then equal a fresh corrected index's; a corrected index is
/// refused, with a reason, by a run that lacks the reference questions.
final class HubnessIndexTests: XCTestCase {
    /// Short software sentences in several languages, enough for the 10 neighbours.
    static let references = [
        "en\tLog in", "en\tChange password", "en\tEnter a valid email address.", "en\tSave and continue editing",
        "en\tThe file could not be uploaded.", "de\tAnmelden", "de\tPasswort ändern", "de\tSpeichern",
        "fr\tConnexion", "fr\tModifier le mot de passe", "fr\tEnregistrer", "es\tIniciar sesión",
        "es\tCambiar contraseña", "zh_Hans\t登录", "zh_Hans\t修改密码", "zh_Hans\t保存",
        "ja\tログイン", "ja\tパスワードの変更", "ru\tВойти", "ru\tИзменить пароль", "ar\tتسجيل الدخول",
        "ar\tتغيير كلمة المرور", "hi\tलॉग इन करें", "hi\tपासवर्ड बदलें",
    ]

    private func vectors(of indexPath: String) throws -> [ContentHash: [Float]] {
        let store = try IndexStore(path: indexPath, mode: .readOnly)
        let model = try XCTUnwrap(try store.models().first)
        let matrix = try store.vectorMatrix(for: model)
        var result: [ContentHash: [Float]] = [:]
        for row in 0..<matrix.count { result[matrix.contentHash(ofRow: row)] = Array(matrix.vector(ofRow: row)) }
        return result
    }

    func testPlainVectorsAreRescaledToWhatAFreshIndexStores() throws {
        let repository = try ScratchRepository()
        defer { repository.remove() }
        try repository.copyTree(from: packageRoot.appendingPathComponent("Fixtures/multilingual"), to: "src")
        try repository.commitAll()
        let references = repository.path + "/../references-\(UUID().uuidString).tsv"
        try (Self.references.joined(separator: "\n") + "\n").write(toFile: references, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: references) }
        let with = ["QUARRY_REFERENCE_QUESTIONS": references]
        let without = ["QUARRY_REFERENCE_QUESTIONS": references + ".missing"]
        let plainIndex = repository.path + "/plain.sqlite", freshIndex = repository.path + "/fresh.sqlite"

        let plain = try QuarryProcess.run(["index", repository.path, "--index", plainIndex, "--json"], environment: without)
        XCTAssertEqual(plain.status, 0, plain.stderr)
        let embedded = try XCTUnwrap(plain.jsonLines.first?["embedded"] as? Int)
        XCTAssertGreaterThan(embedded, 8)
        for vector in try vectors(of: plainIndex).values {
            XCTAssertEqual(vector.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1, accuracy: 1e-4, "plain vectors are unit")
        }
        // Status run with the reference questions says the vectors are older and what to do.
        let older = try QuarryProcess.run(["status", "--index", plainIndex], environment: with)
        XCTAssertEqual(older.status, 0, older.stderr)
        XCTAssertTrue(older.stdout.contains("vectors:    plain; this build writes hubness-1-"), older.stdout)
        XCTAssertTrue(older.stdout.contains("'quarry index' converts them without embedding again"), older.stdout)

        let upgrade = try QuarryProcess.run(["index", repository.path, "--index", plainIndex, "--json"], environment: with)
        XCTAssertEqual(upgrade.status, 0, upgrade.stderr)
        XCTAssertEqual(upgrade.jsonLines.first?["embedded"] as? Int, 0, "nothing is embedded again")
        let rescaled = try XCTUnwrap(upgrade.jsonLines.first?["rescaled_vectors"] as? Int)
        XCTAssertGreaterThanOrEqual(rescaled, embedded)
        let status = try QuarryProcess.run(["status", "--index", plainIndex, "--json"], environment: with)
        let model = try XCTUnwrap((status.jsonLines.first?["models"] as? [[String: Any]])?.first)
        XCTAssertTrue((model["representation"] as? String ?? "").hasPrefix("hubness-1-"), "\(model)")
        XCTAssertEqual(model["representation_current"] as? Bool, true)

        let fresh = try QuarryProcess.run(["index", repository.path, "--index", freshIndex, "--json"], environment: with)
        XCTAssertEqual(fresh.status, 0, fresh.stderr)
        let upgraded = try vectors(of: plainIndex), made = try vectors(of: freshIndex)
        XCTAssertEqual(Set(upgraded.keys), Set(made.keys))
        var lengths: [Float] = []
        for (hash, vector) in made {
            let other = try XCTUnwrap(upgraded[hash])
            for (a, b) in zip(vector, other) { XCTAssertEqual(a, b, accuracy: 1e-5) }
            lengths.append(vector.reduce(0) { $0 + $1 * $1 }.squareRoot())
        }
        XCTAssertGreaterThan(Set(lengths.map { ($0 * 1e4).rounded() }).count, 1, "lengths carry each chunk's hubness")

        // Semantic search ranks on the corrected index, in English and in German.
        for question in ["send an email notification", "Wo wird die Anmeldung geprüft?"] {
            let search = try QuarryProcess.run(["search", "--repo", repository.path, "--index", freshIndex,
                                                "--mode", "semantic", "--json", "-k", "3", question], environment: with)
            XCTAssertEqual(search.status, 0, search.stderr)
            XCTAssertEqual(search.jsonLines.count, 3)
        }

        // Without the reference questions a corrected index cannot take plain vectors.
        try repository.write("src/extra.py", "def brand_new_helper():\n    return 42\n")
        try repository.commitAll("more")
        let refused = try QuarryProcess.run(["index", repository.path, "--index", freshIndex], environment: without)
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("reference questions missing"), refused.stderr)
        XCTAssertEqual(refused.stderr.split(separator: "\n").count, 1, refused.stderr)
    }

    func testAReferenceFileWithTooFewQuestionsIsAOneLineError() throws {
        let repository = try ScratchRepository()
        defer { repository.remove() }
        try repository.write("mail.py", "def send_email(to):\n    return to\n")
        try repository.commitAll()
        let references = repository.path + "/../references-\(UUID().uuidString).tsv"
        // Three usable lines; the others have no tab or no text and are skipped.
        try "en\tLog in\nno tab here\nde\t \nfr\tConnexion\nja\tログイン\n"
            .write(toFile: references, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: references) }
        let index = repository.path + "/index.sqlite"
        let run = try QuarryProcess.run(["index", repository.path, "--index", index],
                                        environment: ["QUARRY_REFERENCE_QUESTIONS": references])
        XCTAssertEqual(run.status, 2)
        XCTAssertTrue(run.stderr.contains("fewer than 10 reference questions"), run.stderr)
        XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: index), "refused before any index is written")
    }
}
