import QuarryCore

/// Tells test code from the code it tests, by the conventions each language
/// follows: where test files live and how they are named (`tests/`,
/// `_test.go`, `test_*.py`, `*.spec.ts`, `FooTest.java`, `*_spec.rb`), and how
/// test functions are declared (`def test_…`, `func TestX(t *testing.T)`,
/// `@Test`, `#[test]`, `it("…")`).
///
/// Asked "save an uploaded file", a search that ranks four
/// `TestSaveUploaded…` functions around the function itself buries the
/// answer: tests repeat the words of the code they exercise.
public enum TestDetection {
    /// Whether `chunk` at `path` is test code.
    public static func isTest(path: String, chunk: Chunk) -> Bool {
        isTestPath(path) || isTestFunction(chunk)
    }

    /// Whether the file at `path` is a test file by its directory or name.
    public static func isTestPath(_ path: String) -> Bool {
        let components = path.split(separator: "/")
        for directory in components.dropLast() where testDirectories.contains(directory.lowercased()) {
            return true
        }
        guard let file = components.last else { return false }
        let name = file.lowercased()
        let stem = name.split(separator: ".").first.map(String.init) ?? name
        if stem.hasPrefix("test_") || stem.hasSuffix("_test") || stem.hasSuffix("_tests") || stem.hasSuffix("_spec")
            || stem.hasSuffix("_unittest") || stem == "conftest" {
            return true
        }
        // app.test.js, app.spec.ts, app.e2e-spec.ts
        let parts = name.split(separator: ".")
        if parts.count >= 3, parts.dropFirst().dropLast().contains(where: { $0 == "test" || $0 == "spec" || $0.hasSuffix("-spec") }) {
            return true
        }
        // FooTest.java, FooTests.cs, FooSpec.scala, FooIT.java, FooTest.php
        let original = file.split(separator: ".").first.map(String.init) ?? String(file)
        return ["Test", "Tests", "Spec", "IT"].contains { suffix in
            original.count > suffix.count && original.hasSuffix(suffix)
                && original.dropLast(suffix.count).last.map { $0.isLowercase || $0.isNumber } == true
        }
    }

    /// Whether the chunk declares a test function.
    public static func isTestFunction(_ chunk: Chunk) -> Bool {
        guard chunk.kind == .function else { return false }
        let name = chunk.symbol.split(separator: ".").last.map(String.init) ?? chunk.symbol
        if name.hasPrefix("test_") || name.hasPrefix("Test") && name.count > 4
            && name.dropFirst(4).first.map({ $0.isUppercase || $0 == "_" }) == true {
            return true
        }
        let head = chunk.text.prefix(400)
        // Foundation's `contains` costs a bridge per call, and a search asks
        // for every hit: an attribute's bytes must occur for it to match
        // (each is ASCII, equivalent to no other text), so most heads are ruled out here.
        guard TestAttributes.mayOccur(in: head) else { return false }
        return head.contains("@Test") || head.contains("#[test]") || head.contains("#[tokio::test]")
            || head.contains("[Fact]") || head.contains("[TestMethod]")
    }

    /// Whether `chunk` at `path` is documentation: prose (Markdown and
    /// reStructuredText sections, or a file without a grammar: `README`,
    /// `*.txt`, `docs/**`).
    public static func isDocument(path: String, chunk: Chunk) -> Bool {
        if chunk.language.isProse || chunk.kind == .doc { return true }
        guard chunk.language == .other else { return false }
        let components = path.lowercased().split(separator: "/")
        guard let name = components.last else { return false }
        if components.dropLast().contains(where: { $0 == "docs" || $0 == "doc" || $0 == "documentation" }) {
            return true
        }
        let parts = name.split(separator: ".")
        if parts.count > 1, let ext = parts.last, documentExtensions.contains(String(ext)) { return true }
        return documentNames.contains(String(parts.first ?? name))
    }

    static let documentExtensions: Set<String> = ["md", "markdown", "mdx", "rst", "txt", "adoc", "asciidoc", "org",
                                                  "rdoc", "pod", "tex", "texi", "textile"]
    static let documentNames: Set<String> = ["readme", "changes", "changelog", "history", "news", "authors",
                                             "contributing", "install", "todo", "faq"]

    static let testDirectories: Set<String> = [
        "test", "tests", "__tests__", "testing", "spec", "specs", "testdata", "test_data", "e2e", "integration_tests",
        "unittests", "unit_tests",
    ]
}

/// The attributes that declare a test function, as bytes: a test whether
/// any occurs in a chunk's head before asking Foundation where.
private enum TestAttributes {
    static let needles: [[UInt8]] = ["@Test", "#[test]", "#[tokio::test]", "[Fact]", "[TestMethod]"].map { Array($0.utf8) }

    static func mayOccur(in head: Substring) -> Bool {
        var copy = head
        return copy.withUTF8 { bytes in needles.contains { occurs($0, in: bytes) } }
    }

    private static func occurs(_ needle: [UInt8], in haystack: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = needle.first, needle.count <= haystack.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start] == first {
            var matched = 1
            while matched < needle.count && haystack[start + matched] == needle[matched] { matched += 1 }
            if matched == needle.count { return true }
        }
        return false
    }
}

/// Which test code a search returns.
public enum TestPolicy: String, Sendable, CaseIterable, Hashable {
    /// Tests rank below the code they test when the two score alike (the default).
    case below
    /// Tests rank like any other code.
    case include
    /// No tests.
    case exclude
    /// Tests alone.
    case only
}
