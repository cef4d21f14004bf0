import QuarryCore

/// Tells C, C++ and Objective-C headers apart: all three use `.h`, and a C++
/// header parsed as C loses its classes and namespaces.
enum HeaderDialect {
    /// How much of a header is read: the markers sit near the top, and a huge
    /// generated header must not cost a full scan.
    static let probeBytes = 64 * 1_024

    static func language(of text: String) -> Language {
        var cpp = false
        for line in text.utf8.prefix(probeBytes).split(separator: UInt8(ascii: "\n")) {
            let trimmed = line.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            if objectiveCMarkers.contains(where: { trimmed.starts(with: $0) }) { return .objectiveC }
            if !cpp && cppMarkers.contains(where: { trimmed.starts(with: $0) }) { cpp = true }
            if !cpp && contains(trimmed, "std::") { cpp = true }
        }
        return cpp ? .cpp : .c
    }

    /// Line starts only Objective-C has (`#import` alone is also MSVC C++, so
    /// it counts only with Apple's frameworks).
    private static let objectiveCMarkers: [[UInt8]] = [
        "@interface ", "@implementation ", "@protocol ", "@end", "#import <Foundation/", "#import <UIKit/",
        "#import <AppKit/", "#import <Cocoa/", "NS_ASSUME_NONNULL_BEGIN",
    ].map { Array($0.utf8) }

    /// Line starts only C++ has. `extern "C"` guards are C headers meant for
    /// C++ callers and say nothing.
    private static let cppMarkers: [[UInt8]] = [
        "namespace ", "template <", "template<", "class ", "public:", "private:", "protected:",
        "using namespace ", "using ", "constexpr ", "#include <string>", "#include <vector>",
        "#include <memory>", "#include <iostream>", "#include <map>", "#include <cstdint>",
        "#include <cstddef>", "#include <functional>", "#include <utility>",
    ].map { Array($0.utf8) }

    private static func contains(_ line: Substring.UTF8View.SubSequence, _ needle: StaticString) -> Bool {
        let pattern = Array(UnsafeBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount))
        guard line.count >= pattern.count else { return false }
        var index = line.startIndex
        while line.distance(from: index, to: line.endIndex) >= pattern.count {
            if line[index...].starts(with: pattern) { return true }
            index = line.index(after: index)
        }
        return false
    }
}
