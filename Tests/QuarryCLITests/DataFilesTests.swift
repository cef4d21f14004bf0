import Foundation
import XCTest

/// Lock files, keys, text images and data files are skipped with reasons
/// that `quarry status` shows; `--include-data` brings them in, and turning
/// it off again takes them out of an existing index (issue 11).
final class DataFilesTests: XCTestCase {
    func testDataFilesAreSkippedCountedAndReclassifiedOnRequest() throws {
        let repository = try ScratchRepository()
        defer { repository.remove() }
        try repository.write("server/auth.go", """
            package server

            // BasicAuth checks the user name and password of a request.
            func BasicAuth(user, password string) bool {
            \treturn user == "admin" && password == secret
            }
            """)
        try repository.write("go.sum", "github.com/basicauth/auth v1.2.0 h1:QmFzaWNBdXRoCg== auth\n")
        try repository.write("testdata/auth-key.pem", "-----BEGIN PRIVATE KEY-----\nYXV0aCBrZXk=\n-----END PRIVATE KEY-----\n")
        try repository.write("docs/auth-logo.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"><title>auth</title></svg>\n")
        try repository.commitAll()

        let first = try QuarryProcess.run(["index", repository.path, "--no-embed", "--json"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let skipped = try XCTUnwrap(first.jsonLines.first?["skipped"] as? [String: Int])
        XCTAssertEqual(skipped["lock-file"], 1)
        XCTAssertEqual(skipped["key"], 1)
        XCTAssertEqual(skipped["image"], 1)
        let status = try QuarryProcess.run(["status", "--repo", repository.path])
        XCTAssertTrue(status.stdout.contains("1 lock-file"), status.stdout)
        XCTAssertTrue(status.stdout.contains("1 key"), status.stdout)
        XCTAssertEqual(Set(try paths(repository, "auth")), ["server/auth.go"])

        let included = try QuarryProcess.run(["index", repository.path, "--no-embed", "--include-data", "--json"])
        XCTAssertEqual(included.status, 0, included.stderr)
        XCTAssertEqual(included.jsonLines.first?["reclassified_blobs"] as? Int, 3)
        XCTAssertEqual(Set(try paths(repository, "auth")),
                       ["server/auth.go", "go.sum", "testdata/auth-key.pem", "docs/auth-logo.svg"])

        let again = try QuarryProcess.run(["index", repository.path, "--no-embed", "--json"])
        XCTAssertEqual(again.jsonLines.first?["reclassified_blobs"] as? Int, 3)
        XCTAssertEqual(Set(try paths(repository, "auth")), ["server/auth.go"])
        let unchanged = try QuarryProcess.run(["index", repository.path, "--no-embed", "--json"])
        XCTAssertEqual(unchanged.jsonLines.first?["reclassified_blobs"] as? Int, 0, "the policy is recorded")
        let statusJSON = try QuarryProcess.run(["status", "--repo", repository.path, "--json"])
        let counts = try XCTUnwrap(statusJSON.jsonLines.first?["skipped"] as? [String: Int])
        XCTAssertEqual(counts["lock-file"], 1)
    }

    private func paths(_ repository: ScratchRepository, _ query: String) throws -> [String] {
        let outcome = try QuarryProcess.run(["search", "--repo", repository.path, "--mode", "lexical", "--json",
                                             "-k", "20", query])
        XCTAssertLessThanOrEqual(outcome.status, 1, outcome.stderr)
        return outcome.jsonLines.compactMap { $0["path"] as? String }
    }
}
