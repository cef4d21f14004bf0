import QuarryCore
import XCTest
@testable import GitSource

/// Lock files, keys, text images, source maps and data files are skipped
/// with a reason; code and ordinary documents are not (issue 11).
final class DataFileRulesTests: XCTestCase {
    private let filter = BlobFilter()

    private func classify(_ path: String, _ text: String) -> BlobClassification {
        filter.classify(path: path, bytes: Array(text.utf8))
    }

    func testLockFilesAndChecksumListsByName() {
        let goSum = "github.com/gin-gonic/gin v1.9.1 h1:4idEAncQnU5cB7BeOkPtxjfCSye0AAm1R0RVIqJ+Jmg=\n"
        for path in ["go.sum", "sub/go.work.sum", "Cargo.lock", "poetry.lock", "uv.lock", "web/package-lock.json",
                     "yarn.lock", "pnpm-lock.yaml", "Gemfile.lock", "composer.lock", "SHA256SUMS", "dist/app.sha256"] {
            XCTAssertEqual(classify(path, goSum), .skipped(.lockFile), path)
        }
    }

    func testKeysAndCertificatesByNameAndArmour() {
        let pem = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n"
        for path in ["testdata/key.pem", "certs/server.crt", "tls.key", ".ssh/id_ed25519", "release.asc"] {
            XCTAssertEqual(classify(path, pem), .skipped(.key), path)
        }
        XCTAssertEqual(classify("fixtures/server-cert", pem), .skipped(.key), "armour without an extension")
    }

    func testImagesSourceMapsAndDataFiles() {
        XCTAssertEqual(classify("docs/logo.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"><path d=\"M0 0\"/></svg>"),
                       .skipped(.image))
        XCTAssertEqual(classify("static/app.js.map", "{\"version\":3,\"mappings\":\"AAAA\"}"), .skipped(.sourceMap))
        let rows = (0..<3_000).map { "\($0),name\($0),\($0 * 7)" }.joined(separator: "\n")
        XCTAssertEqual(classify("data/users.csv", rows), .skipped(.data), "large CSV")
        let records = "[" + (0..<1_500).map { "{\"id\": \($0), \"v\": \"x\"}" }.joined(separator: ",\n") + "]"
        XCTAssertEqual(classify("fixtures/records.json", records), .skipped(.data), "large JSON")
        let base64 = (0..<40).map { _ in String(repeating: "QUJDREVGR0hJSktMTU5PUA==", count: 3) }.joined(separator: "\n")
        XCTAssertEqual(classify("assets/font.b64", base64), .skipped(.data), "base64 dump")
    }

    func testCodeConfigurationAndDocumentsStay() {
        XCTAssertEqual(classify("package.json", "{\"name\": \"app\", \"version\": \"1.0.0\"}"),
                       .text(.other, "{\"name\": \"app\", \"version\": \"1.0.0\"}"), "small configuration is text")
        let python = "# -----BEGIN CERTIFICATE----- appears in a comment\ndef load_key(path):\n    return open(path).read()\n"
        XCTAssertEqual(classify("keys.py", python), .text(.python, python), "code is never data")
        let readme = "# Locking\n\nHow the lock works.\n"
        XCTAssertEqual(classify("docs/lock.md", readme), .text(.markdown, readme))
        let go = "package main\n\nfunc main() {}\n"
        XCTAssertEqual(classify("cmd/sum.go", go), .text(.go, go))
    }

    func testIncludingDataTurnsTheRulesOff() {
        let everything = BlobFilter(dataRules: nil)
        XCTAssertEqual(everything.classify(path: "go.sum", bytes: Array("a v1 h1:x=\n".utf8)), .text(.other, "a v1 h1:x=\n"))
        XCTAssertTrue(SkipReason.allCases.filter(\.isData) == [.lockFile, .key, .image, .sourceMap, .data])
    }
}
