import QuarryCore
import XCTest
@testable import GitSource

/// Detection by extension, then shebang, then content for shared extensions;
/// vendored and generated paths skipped with their reason unless asked for.
final class LanguageDetectionTests: XCTestCase {
    private let filter = BlobFilter()

    private func language(_ path: String, _ text: String) -> Language? {
        guard case .text(let language, _) = filter.classify(path: path, bytes: Array(text.utf8)) else { return nil }
        return language
    }

    func testExtensionsOfTheAddedLanguages() {
        let expected: [(String, Language)] = [
            ("src/router.ts", .typescript), ("web/App.tsx", .tsx), ("src/main.rs", .rust),
            ("Sources/App/Store.swift", .swift), ("app/Main.kt", .kotlin), ("build.gradle.kts", .kotlin),
            ("Auth/Session.cs", .csharp), ("core/Limiter.scala", .scala), ("build.sbt", .scala),
            ("scripts/deploy.sh", .bash), ("lib/cache.lua", .lua), ("README.md", .markdown),
            ("docs/index.rst", .rst), ("Sources/View.m", .objectiveC), ("home/.bashrc", .bash),
        ]
        for (path, language) in expected {
            XCTAssertEqual(detectLanguage(path: path, firstLine: nil), language, path)
        }
    }

    func testShebangsOfTheAddedLanguages() {
        XCTAssertEqual(language("bin/deploy", "#!/bin/bash\nset -e\n"), .bash)
        XCTAssertEqual(language("bin/run", "#!/bin/sh\nexec app\n"), .bash)
        XCTAssertEqual(language("bin/tool", "#!/usr/bin/env lua5.4\nprint(1)\n"), .lua)
        XCTAssertEqual(language("bin/serve", "#!/usr/bin/env -S deno run --allow-net\nconsole.log(1)\n"), .typescript)
        XCTAssertEqual(language("bin/notes", "#!/usr/bin/env perl\nprint 1;\n"), .other)
        // The extension wins over the shebang.
        XCTAssertEqual(language("tool.py", "#!/bin/bash\n"), .python)
    }

    func testHeadersAreCOrCPlusPlusOrObjectiveCByContent() {
        XCTAssertEqual(language("include/list.h", "#ifndef LIST_H\n#define LIST_H\nstruct list { int n; };\n#endif\n"), .c)
        XCTAssertEqual(language("include/guard.h", """
            #ifdef __cplusplus
            extern "C" {
            #endif
            int open_session(const char *user);
            """), .c, "an extern \"C\" guard is a C header")
        XCTAssertEqual(language("include/cache.h", "#pragma once\n#include <string>\nnamespace cache {\nclass Store;\n}\n"), .cpp)
        XCTAssertEqual(language("include/pool.h", "#pragma once\ntemplate <typename T>\nstruct Pool { T *items; };\n"), .cpp)
        XCTAssertEqual(language("include/vec.h", "inline size_t size(const std::vector<int>& v) { return v.size(); }\n"), .cpp)
        XCTAssertEqual(language("Sources/Session.h", "#import <Foundation/Foundation.h>\n@interface Session : NSObject\n@end\n"),
                       .objectiveC)
    }

    func testDotTSIsTypeScriptOrAVideoTransportStream() {
        XCTAssertEqual(language("src/index.ts", "export const answer: number = 42;\n"), .typescript)
        // MPEG-TS: 188-byte packets each starting with the 0x47 sync byte, here without any NUL.
        var stream: [UInt8] = []
        for packet in 0..<8 {
            stream.append(0x47)
            stream.append(contentsOf: (1..<188).map { UInt8(truncatingIfNeeded: 0x20 + (packet + $0) % 90) })
        }
        XCTAssertFalse(stream.contains(0))
        XCTAssertEqual(filter.classify(path: "media/clip.ts", bytes: stream), .skipped(.binary))
    }

    func testVendoredAndGeneratedPathsAreSkippedWithTheirReason() {
        let skipped: [(String, SkipReason)] = [
            ("web/node_modules/left-pad/index.js", .vendored), ("vendor/github.com/x/y/z.go", .vendored),
            ("third_party/zlib/inflate.c", .vendored), ("static/app.min.js", .generated),
            ("api/users_pb2.py", .generated), ("api/users_pb2_grpc.py", .generated), ("api/users.pb.go", .generated),
        ]
        for (path, reason) in skipped {
            XCTAssertEqual(filter.classify(path: path, bytes: Array("x = 1\n".utf8)), .skipped(reason), path)
            let entry = TreeEntry(path: path, blobID: String(repeating: "0", count: 40), size: 6, mode: .file)
            XCTAssertEqual(filter.skipReason(for: entry), reason, "\(path) is skipped before its blob is read")
        }
        // Near misses are code.
        for path in ["src/vendor.go", "vendors/lib.c", "lib/min.js", "proto/pb2.py", "pkg/api.pb"] {
            XCTAssertNotNil(language(path, "x = 1\n"), path)
        }
        let including = BlobFilter(includesGenerated: true)
        XCTAssertEqual(including.classify(path: "web/node_modules/a/index.js", bytes: Array("f()\n".utf8)),
                       .text(.javascript, "f()\n"))
        XCTAssertNil(including.skipReason(for: TreeEntry(path: "api/users.pb.go", blobID: "", size: 6, mode: .file)))
    }

    func testManifestRulesExtendButNeverOverrideTheBuiltInOnes() {
        let snake = Language(rawValue: "snake")!
        let detector = LanguageDetector.builtIn.adding(snake, extensions: [".snk", "h"], fileNames: ["Snakefile"],
                                                       interpreters: ["snake"])
        XCTAssertEqual(detector.language(path: "a/b.SNK", firstLine: nil), snake)
        XCTAssertEqual(detector.language(path: "a/Snakefile", firstLine: nil), snake)
        XCTAssertEqual(detector.language(path: "bin/x", firstLine: "#!/usr/bin/env snake"), snake)
        XCTAssertEqual(detector.language(path: "a/b.h", firstLine: nil), .c, "built-in rules win")
        let filter = BlobFilter(detector: detector)
        XCTAssertEqual(filter.classify(path: "x.snk", bytes: Array("hiss\n".utf8)), .text(snake, "hiss\n"))
    }

    func testLanguageNamesAreValidated() {
        XCTAssertNotNil(Language(rawValue: "objc"))
        XCTAssertNotNil(Language(rawValue: "c++"))
        for bad in ["", "Python", "9lives", "has space", String(repeating: "a", count: 33)] {
            XCTAssertNil(Language(rawValue: bad), bad)
        }
    }
}
