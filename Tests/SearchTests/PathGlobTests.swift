import XCTest
@testable import Search

final class PathGlobTests: XCTestCase {
    private func assertGlob(_ pattern: String, matches yes: [String], rejects no: [String],
                            file: StaticString = #filePath, line: UInt = #line) throws {
        let glob = try PathGlob(pattern)
        for path in yes { XCTAssertTrue(glob.matches(path), "\(pattern) should match \(path)", file: file, line: line) }
        for path in no { XCTAssertFalse(glob.matches(path), "\(pattern) should not match \(path)", file: file, line: line) }
    }

    func testPatternWithoutSlashMatchesAtAnyDepth() throws {
        try assertGlob("*.go", matches: ["main.go", "cmd/server/main.go"],
                       rejects: ["main.go.txt", "main.goo", "gopher/readme.md", "main_go"])
        try assertGlob("vendor", matches: ["vendor/lib.c", "third/vendor/x/y.c"], rejects: ["vendors/lib.c", "src/vendor.c"])
    }

    func testDoubleStarSpansZeroOrMoreSegments() throws {
        try assertGlob("src/**/*.py", matches: ["src/a.py", "src/x/a.py", "src/x/y/z/a.py"],
                       rejects: ["a.py", "lib/src/a.py", "src/a.pyc", "srcx/a.py"])
        try assertGlob("**/test_*.py", matches: ["test_a.py", "pkg/tests/test_b.py"], rejects: ["pkg/a_test.py"])
        try assertGlob("docs/**", matches: ["docs/index.md", "docs/a/b/c.png"], rejects: ["docs.md", "src/docs.md"])
        try assertGlob("a/**/b/**/c", matches: ["a/b/c", "a/x/b/y/z/c"], rejects: ["a/c", "a/b/x"])
    }

    func testSlashAnchorsAtTheRoot() throws {
        try assertGlob("src/*.js", matches: ["src/app.js"], rejects: ["lib/src/app.js", "src/ui/app.js"])
        try assertGlob("/Makefile", matches: ["Makefile"], rejects: ["sub/Makefile"])
    }

    func testDirectoryPatternSelectsEverythingBelow() throws {
        try assertGlob("src/", matches: ["src/a.c", "src/x/y.h"], rejects: ["lib/a.c", "srcs/a.c"])
        try assertGlob("internal/auth", matches: ["internal/auth/login.go", "internal/auth"], rejects: ["internal/authz/x.go"])
    }

    func testStarQuestionMarkAndSets() throws {
        try assertGlob("*_test.go", matches: ["x_test.go", "_test.go"], rejects: ["x_test.go.bak", "xtest.go"])
        try assertGlob("file?.txt", matches: ["file1.txt", "a/fileX.txt"], rejects: ["file10.txt", "file.txt"])
        try assertGlob("v[0-9].[ch]", matches: ["v1.c", "v9.h"], rejects: ["va.c", "v1.o", "v10.c"])
        try assertGlob("[!._]*.md", matches: ["README.md"], rejects: [".hidden.md", "_draft.md"])
        try assertGlob("[]]x", matches: ["]x"], rejects: ["x"])
        try assertGlob("a*b*c", matches: ["abc", "axxbyyc", "abcbc"], rejects: ["acb", "ab"])
        try assertGlob("\\*.txt", matches: ["*.txt"], rejects: ["a.txt"])
        try assertGlob("*", matches: ["anything", "deep/path/file"], rejects: [])
    }

    func testBraceAlternatives() throws {
        try assertGlob("*.{js,ts}", matches: ["a.js", "b/c.ts"], rejects: ["a.jsx", "a.py"])
        try assertGlob("{src,lib}/**/*.{c,h{,pp}}", matches: ["src/a.c", "lib/x/b.hpp", "lib/b.h"],
                       rejects: ["test/a.c", "src/a.cc"])
    }

    func testMatchingIsCaseSensitiveAndHandlesUnicode() throws {
        try assertGlob("*.Py", matches: ["a.Py"], rejects: ["a.py"])
        try assertGlob("données/*.csv", matches: ["données/x.csv"], rejects: ["donnees/x.csv"])
    }

    func testMalformedPatternsAreTypedErrors() {
        for (pattern, reason) in [("[abc", "[ is never closed"), ("*.{js,ts", "{ is never closed"),
                                  ("a}", "} without {"), ("x\\", "it ends with a lone \\"),
                                  ("[z-a]", "range z-a is reversed"), ("/", "it matches no path")] {
            XCTAssertThrowsError(try PathGlob(pattern), pattern) { error in
                XCTAssertEqual(error as? SearchError, .invalidGlob(pattern: pattern, reason: reason))
            }
        }
    }
}
