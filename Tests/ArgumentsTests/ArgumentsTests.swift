import XCTest
@testable import Arguments

final class ArgumentsTests: XCTestCase {
    let search = CommandSpec(
        path: "quarry search", summary: "Search the index.",
        options: [
            OptionSpec("repo", value: "PATH", help: "Repository."),
            OptionSpec("top", short: "k", value: "N", help: "Results."),
            OptionSpec("lang", value: "L", repeatable: true, help: "Language."),
            .flag("json", help: "JSON Lines."),
            .flag("quiet", short: "q", help: "Quiet."),
        ],
        positionals: [PositionalSpec("QUERY", variadic: true, help: "Words.")])

    func testLongOptionsWithSpaceAndEquals() throws {
        let parsed = try search.parse(["--repo", "/tmp/x", "--top=7", "login", "user"])
        XCTAssertEqual(parsed.value("repo"), "/tmp/x")
        XCTAssertEqual(try parsed.integer("top", default: 10), 7)
        XCTAssertEqual(parsed.allPositionals("QUERY"), ["login", "user"])
    }

    func testShortOptionAttachedAndDetached() throws {
        XCTAssertEqual(try search.parse(["-k5", "q"]).value("top"), "5")
        XCTAssertEqual(try search.parse(["-k", "5", "q"]).value("top"), "5")
    }

    func testShortFlagCluster() throws {
        let parsed = try search.parse(["-qk3", "q"])
        XCTAssertTrue(parsed.flag("quiet"))
        XCTAssertEqual(parsed.value("top"), "3")
    }

    func testOptionsMayFollowPositionals() throws {
        let parsed = try search.parse(["login", "--json", "user"])
        XCTAssertTrue(parsed.flag("json"))
        XCTAssertEqual(parsed.allPositionals("QUERY"), ["login", "user"])
    }

    func testDoubleDashEndsOptions() throws {
        let parsed = try search.parse(["--", "--json", "-k"])
        XCTAssertFalse(parsed.flag("json"))
        XCTAssertEqual(parsed.allPositionals("QUERY"), ["--json", "-k"])
    }

    func testRepeatableAccumulatesAndOthersRefuseRepeats() throws {
        XCTAssertEqual(try search.parse(["--lang", "go", "--lang=c", "q"]).allValues("lang"), ["go", "c"])
        XCTAssertThrowsError(try search.parse(["-k", "1", "-k", "2", "q"])) { error in
            XCTAssertEqual(error as? ArgumentError, .repeatedOption("--top"))
        }
    }

    func testUnknownOptionSuggestsClosest() {
        XCTAssertThrowsError(try search.parse(["--jsn", "q"])) { error in
            XCTAssertEqual(error as? ArgumentError, .unknownOption("--jsn", suggestion: "--json"))
            XCTAssertEqual("\(error)", "unknown option '--jsn' (did you mean '--json'?)")
        }
        XCTAssertThrowsError(try search.parse(["-z"])) { error in
            XCTAssertEqual(error as? ArgumentError, .unknownOption("-z", suggestion: nil))
        }
    }

    func testMissingValueAndFlagWithValue() {
        XCTAssertThrowsError(try search.parse(["q", "--repo"])) { error in
            XCTAssertEqual(error as? ArgumentError, .missingValue(option: "--repo"))
        }
        XCTAssertThrowsError(try search.parse(["--json=yes", "q"])) { error in
            XCTAssertEqual(error as? ArgumentError, .unexpectedValue(option: "--json"))
        }
    }

    func testMissingAndUnexpectedPositionals() {
        XCTAssertThrowsError(try search.parse([])) { error in
            XCTAssertEqual(error as? ArgumentError, .missingArgument("QUERY"))
        }
        let index = CommandSpec(path: "quarry index", summary: "Index.",
                                positionals: [PositionalSpec("PATH", optional: true, help: "Repo.")])
        XCTAssertNil(try index.parse([]).positional("PATH"))
        XCTAssertThrowsError(try index.parse(["a", "b"])) { error in
            XCTAssertEqual(error as? ArgumentError, .unexpectedArgument("b"))
        }
    }

    func testHelpSkipsPositionalChecks() throws {
        XCTAssertTrue(try search.parse(["--help"]).flag("help"))
        XCTAssertTrue(try search.parse(["-h"]).flag("help"))
    }

    func testIntegerAndChoiceValidation() throws {
        let parsed = try search.parse(["-k", "zero", "q"])
        XCTAssertThrowsError(try parsed.integer("top", default: 10, in: 1...1000)) { error in
            XCTAssertEqual("\(error)", "invalid value 'zero' for '--top': expected an integer from 1 to 1000")
        }
        let mode = CommandSpec(path: "x", summary: "", options: [OptionSpec("mode", value: "M", help: "")])
        XCTAssertEqual(try mode.parse([]).choice("mode", of: ["a", "b"], default: "a"), "a")
        XCTAssertThrowsError(try mode.parse(["--mode", "c"]).choice("mode", of: ["a", "b"], default: "a"))
    }

    func testHelpTextListsEverything() {
        let text = search.helpText
        XCTAssertTrue(text.contains("usage: quarry search [OPTIONS] QUERY..."))
        XCTAssertTrue(text.contains("-k, --top N"))
        XCTAssertTrue(text.contains("--lang L"))
        XCTAssertTrue(text.contains("(repeatable)"))
        XCTAssertTrue(text.contains("-h, --help"))
    }

    func testEditDistance() {
        XCTAssertEqual(editDistance("kitten", "sitting"), 3)
        XCTAssertEqual(editDistance("", "abc"), 3)
        XCTAssertEqual(editDistance("same", "same"), 0)
    }
}
