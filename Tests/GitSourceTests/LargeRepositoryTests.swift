import Foundation
import QuarryCore
import XCTest
@testable import GitSource

/// Walks a real tree of a couple of thousand files: a Python standard
/// library committed once per class into a scratch repository.
final class LargeRepositoryTests: XCTestCase {
    nonisolated(unsafe) private static var fixture: GitFixture?
    nonisolated(unsafe) private static var setupError: String?

    /// Python library directories in order of preference; the pyenv ones hold
    /// ~1,800 .py files including the test suite, Debian's about 700.
    private static func pythonLibrary() -> String? {
        let manager = FileManager.default
        var candidates: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["QUARRY_TEST_PYTHON_LIB"] { candidates.append(explicit) }
        let pyenv = NSHomeDirectory() + "/.pyenv/versions"
        for version in ((try? manager.contentsOfDirectory(atPath: pyenv)) ?? [])
            .sorted(by: { $0.compare($1, options: .numeric) == .orderedDescending }) {
            let lib = "\(pyenv)/\(version)/lib"
            for name in ((try? manager.contentsOfDirectory(atPath: lib)) ?? []) where name.hasPrefix("python3") {
                candidates.append("\(lib)/\(name)")
            }
        }
        candidates += ["/usr/lib/python3.11", "/usr/lib/python3.12", "/usr/lib/python3.13"]
        return candidates.first { manager.fileExists(atPath: "\($0)/os.py") }
    }

    override class func setUp() {
        super.setUp()
        guard let library = pythonLibrary() else {
            setupError = "no Python standard library found"
            return
        }
        do {
            let fixture = try GitFixture()
            try fixture.initRepository("lib")
            // Compiled, vendored and build-only parts are not source.
            try fixture.write("lib/.git/info/exclude", """
                site-packages/
                dist-packages/
                __pycache__/
                *.pyc
                config-*/
                lib-dynload/
                ensurepip/_bundled/

                """)
            let options = ["--git-dir=\(fixture.path("lib/.git"))", "--work-tree=\(library)"]
            try fixture.git(options + ["add", "-A"])
            try fixture.git(options + ["commit", "-q", "-m", "Python library from \(library)"])
            // Packed, with deltas, like real clones: sizes must come out whole.
            try fixture.git(["repack", "-a", "-d", "-q"], in: "lib")
            print("LargeRepositoryTests: committed and packed \(library)")
            self.fixture = fixture
        } catch {
            setupError = "\(error)"
        }
    }

    override class func tearDown() {
        fixture = nil
        super.tearDown()
    }

    private func repository() throws -> (GitFixture, GitRepository) {
        guard let fixture = Self.fixture else { throw XCTSkip(Self.setupError ?? "fixture missing") }
        return (fixture, try GitRepository(discoveringFrom: fixture.path("lib")))
    }

    func testWalkMatchesGitLsTree() throws {
        let (fixture, repository) = try repository()
        let commit = try repository.resolveCommit()
        var fastest = Double.infinity
        var entries: [TreeEntry] = []
        for _ in 0..<5 {
            let start = DispatchTime.now().uptimeNanoseconds
            entries = try repository.treeEntries(of: commit)
            fastest = min(fastest, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        print("LargeRepositoryTests: walked \(entries.count) entries in \(String(format: "%.1f", fastest)) ms (best of 5)")

        // `<mode> <type> <id> <size>\t<path>` records, NUL-terminated.
        let listing = try fixture.git(["ls-tree", "-r", "-l", "-z", "HEAD"], in: "lib")
        var expected: Set<TreeEntry> = []
        for record in listing.split(separator: "\0") {
            let parts = record.split(separator: "\t", maxSplits: 1)
            let fields = parts[0].split(separator: " ", omittingEmptySubsequences: true)
            let mode: EntryMode = switch fields[0] {
            case "100755": .executable
            case "120000": .symlink
            case "160000": .submodule
            default: .file
            }
            expected.insert(TreeEntry(path: String(parts[1]), blobID: String(fields[2]),
                                      size: Int(fields[3]) ?? 0, mode: mode))
        }
        XCTAssertGreaterThan(expected.count, 500)
        XCTAssertEqual(entries.count, expected.count)
        XCTAssertEqual(Set(entries), expected)
    }

    func testLanguageDistribution() throws {
        let (_, repository) = try repository()
        let entries = try repository.treeEntries(of: repository.resolveCommit())
        let filter = BlobFilter()
        var languages: [Language: Int] = [:]
        var skipped: [SkipReason: Int] = [:]
        var pythonFiles = 0
        var pythonFilesAsPython = 0
        for entry in entries {
            let isPythonFile = entry.path.hasSuffix(".py")
            if isPythonFile { pythonFiles += 1 }
            switch try filter.classify(entry, in: repository) {
            case .text(let language, let text):
                languages[language, default: 0] += 1
                XCTAssertFalse(text.isEmpty && entry.size > 3, entry.path)
                if isPythonFile {
                    XCTAssertEqual(language, .python, entry.path)
                    pythonFilesAsPython += 1
                }
            case .skipped(let reason):
                skipped[reason, default: 0] += 1
            }
        }
        print("LargeRepositoryTests: \(entries.count) entries, \(pythonFiles) .py;",
              "languages", languages.map { "\($0.key.rawValue)=\($0.value)" }.sorted().joined(separator: " "),
              "skipped", skipped.map { "\($0.key.rawValue)=\($0.value)" }.sorted().joined(separator: " "))
        XCTAssertEqual(languages.values.reduce(0, +) + skipped.values.reduce(0, +), entries.count)
        XCTAssertGreaterThan(pythonFiles, 500)
        // A handful of test files are deliberately mis-encoded or generated.
        XCTAssertGreaterThan(Double(pythonFilesAsPython), 0.97 * Double(pythonFiles))
        XCTAssertGreaterThanOrEqual(languages[.python, default: 0], pythonFilesAsPython)
    }
}
