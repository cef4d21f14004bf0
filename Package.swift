// swift-tools-version:6.0
// Quarry: local-first semantic code search.
//
// Data flows one way through the targets:
//   GitSource -> Chunker -> Encoder -> Store (and TeamStore) -> Search -> Engine -> QuarryCLI
// with QuarryCore holding the value types they exchange.
import PackageDescription

let package = Package(
    name: "Quarry",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "quarry", targets: ["quarry"]),
    ],
    targets: [
        // System libraries from Debian (-dev packages, found via pkg-config).
        .systemLibrary(name: "CGit2", pkgConfig: "libgit2",
                       providers: [.apt(["libgit2-dev"])]),
        // tree-sitter 0.24 core, static, built by Grammars/build.sh from its pinned sdist
        // (Debian's 0.20.7 aborts on a node with 65,535 children).
        .systemLibrary(name: "CTreeSitter", pkgConfig: "quarry-tree-sitter",
                       providers: [.apt(["libtree-sitter-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq",
                       providers: [.apt(["libpq-dev"])]),
        // extern "C" shim over the C++ libsentencepiece.
        .target(name: "CSentencePiece",
                cxxSettings: [.unsafeFlags(["-std=c++17"])],
                linkerSettings: [.linkedLibrary("sentencepiece"), .linkedLibrary("stdc++")]),
        // Hand-written SIMD kernels for the encoder's hot matrix products.
        .target(name: "CKernels",
                cSettings: [.unsafeFlags(["-O3"])]),

        .target(name: "QuarryCore"),
        .target(name: "GitSource", dependencies: ["QuarryCore", "CGit2"]),
        .target(name: "Chunker", dependencies: ["QuarryCore", "CTreeSitter"]),
        .target(name: "Tokenizers", dependencies: ["CSentencePiece"]),
        .target(name: "Encoder", dependencies: ["Tokenizers", "COpenBLAS", "CKernels"]),
        .target(name: "Store", dependencies: ["QuarryCore", "CSQLite"]),
        .target(name: "Search", dependencies: ["QuarryCore", "Store", "Encoder"]),
        // The team index in PostgreSQL + pgvector (`quarry push`, `search --db`), beside Store.
        .target(name: "TeamStore", dependencies: ["QuarryCore", "Store", "CLibPQ"]),
        .target(name: "Arguments"),
        // What every front end shares: indexing, models, search, status, reading files.
        .target(name: "Engine", dependencies: [
            "QuarryCore", "GitSource", "Chunker", "Tokenizers", "Encoder", "Store", "Search", "TeamStore",
        ]),
        // Two-function C shim over libmicrohttpd (Debian libmicrohttpd-dev).
        .target(name: "CMHD", linkerSettings: [.linkedLibrary("microhttpd")]),
        // The HTTP front end (`quarry serve`): JSON API and search page.
        .target(name: "HTTPServer", dependencies: ["QuarryCore", "Search", "Engine", "CMHD"]),
        // The Model Context Protocol front end (`quarry mcp`).
        .target(name: "MCPServer", dependencies: ["QuarryCore", "Search", "Engine"]),
        .target(name: "QuarryCLI", dependencies: [
            "QuarryCore", "GitSource", "Encoder", "Store", "Search", "Arguments", "Engine", "MCPServer", "HTTPServer",
        ]),
        // The Swift runtime and Foundation linked statically: their ~10k symbol relocations
        // then resolve at link time, not in every process (a third of `quarry --help`'s CPU).
        // Foundation's own dependencies must be named, as objects built against the shared
        // Foundation carry no autolink entries for them.
        .executableTarget(name: "quarry", dependencies: ["QuarryCLI"],
                          linkerSettings: [.unsafeFlags([
                              "-static-stdlib", "-Xlinker", "--start-group",
                              "-lFoundation", "-lFoundationInternationalization", "-lFoundationEssentials",
                              "-lCoreFoundation", "-l_FoundationICU", "-l_FoundationCShims",
                              "-l_FoundationCollections", "-ldispatch", "-lswiftDispatch", "-lBlocksRuntime",
                              "-lswiftSynchronization", "-lswift_StringProcessing", "-lswift_RegexParser",
                              "-lswift_Concurrency", "-lswiftCore", "-Xlinker", "--end-group",
                          ], .when(platforms: [.linux]))]),

        // Helpers the test targets share (not shipped in any product).
        .target(name: "TestSupport", path: "Tests/TestSupport"),

        .testTarget(name: "QuarryCoreTests", dependencies: ["QuarryCore"]),
        .testTarget(name: "GitSourceTests", dependencies: ["GitSource"]),
        .testTarget(name: "ChunkerTests", dependencies: ["Chunker", "TestSupport"]),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers", "TestSupport"]),
        .testTarget(name: "EncoderTests", dependencies: ["Encoder", "Tokenizers", "TestSupport"]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "TestSupport"]),
        .testTarget(name: "SearchTests", dependencies: ["Search", "Store", "TestSupport"]),
        .testTarget(name: "ArgumentsTests", dependencies: ["Arguments"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Encoder", "Search", "Store"]),
        .testTarget(name: "QuarryCLITests", dependencies: ["QuarryCLI", "Store", "CSQLite", "TeamStore", "TestSupport"]),
        .testTarget(name: "CKernelsTests", dependencies: ["CKernels", "COpenBLAS", "TestSupport"]),
    ],
    // Swift 5 language mode: the C libraries' handles (parsers, statements,
    // models) are confined to one thread or guarded by locks by hand, which
    // strict Sendable checking cannot see; tests exercise the concurrent paths.
    swiftLanguageModes: [.v5]
)
