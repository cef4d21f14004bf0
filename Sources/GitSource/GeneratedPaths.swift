import QuarryCore

/// Paths skipped by default because people search their own code, not the
/// copies of others' code and the generated files a repository carries; each
/// is counted under its reason, and `--include-generated` indexes them.
enum GeneratedPaths {
    /// Directories holding dependencies vendored into the repository.
    static let vendoredDirectories: Set<Substring> = [
        "node_modules", "vendor", "third_party", "third-party", "thirdparty", "bower_components",
    ]

    /// File name endings of generated code: minified bundles, protobuf and gRPC stubs.
    static let generatedSuffixes: [String] = [
        ".min.js", ".min.mjs", ".min.css", "-min.js", ".bundle.js",
        "_pb2.py", "_pb2.pyi", "_pb2_grpc.py", ".pb.go", ".pb.gw.go", "_grpc.pb.go",
        ".pb.cc", ".pb.h", ".pb.swift", ".g.dart", ".freezed.dart", ".designer.cs", ".g.cs",
    ]

    static func skipReason(for path: String) -> SkipReason? {
        let components = path.split(separator: "/")
        if components.dropLast().contains(where: vendoredDirectories.contains) { return .vendored }
        guard let name = components.last else { return nil }
        let lowered = name.lowercased()
        if generatedSuffixes.contains(where: { lowered.hasSuffix($0) && lowered.count > $0.count }) {
            return .generated
        }
        return nil
    }
}
