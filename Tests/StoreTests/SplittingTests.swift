import XCTest
@testable import Store

final class IdentifierSplitterTests: XCTestCase {
    func testPartsOfEachIdentifierStyle() {
        XCTAssertEqual(IdentifierSplitter.parts(of: "loginUser"), ["login", "user"])
        XCTAssertEqual(IdentifierSplitter.parts(of: "LoginUser"), ["login", "user"])
        XCTAssertEqual(IdentifierSplitter.parts(of: "HTTPServer"), ["http", "server"])
        XCTAssertEqual(IdentifierSplitter.parts(of: "parseHTTPRequest"), ["parse", "http", "request"])
        XCTAssertEqual(IdentifierSplitter.parts(of: "login_user"), ["login", "user"])
        XCTAssertEqual(IdentifierSplitter.parts(of: "MAX_RETRY_COUNT"), ["max", "retry", "count"])
        XCTAssertEqual(IdentifierSplitter.parts(of: "__init__"), ["init"])
        XCTAssertEqual(IdentifierSplitter.parts(of: "user-profile-card"), ["user", "profile", "card"])
        XCTAssertEqual(IdentifierSplitter.parts(of: "base64Encode"), ["base", "64", "encode"])
        XCTAssertEqual(IdentifierSplitter.parts(of: "sha256sum"), ["sha", "256", "sum"])
        XCTAssertEqual(IdentifierSplitter.parts(of: "IPv4"), ["i", "pv", "4"])
        XCTAssertEqual(IdentifierSplitter.parts(of: "simple"), ["simple"])
        XCTAssertEqual(IdentifierSplitter.parts(of: "Straße"), ["straße"])
    }

    func testTermsKeepTheWholeIdentifierBeforeItsParts() {
        XCTAssertEqual(IdentifierSplitter.terms(in: "loginUser(HTTPServer)"),
                       ["loginuser", "login", "user", "httpserver", "http", "server"])
        XCTAssertEqual(IdentifierSplitter.terms(in: "self.__init__"), ["self", "__init__", "init"])
        XCTAssertEqual(IdentifierSplitter.terms(in: "user user_id"), ["user", "user_id", "id"])
        XCTAssertEqual(IdentifierSplitter.terms(in: "\"; DROP -- *) OR (NEAR"), ["drop", "or", "near"])
        XCTAssertEqual(IdentifierSplitter.terms(in: "()[]{}*-+\"'"), [])
        XCTAssertEqual(IdentifierSplitter.terms(in: ""), [])
    }

    func testExpanderWritesTheIndexForm() {
        var expander = TermExpander()
        expander.expand("def loginUser(self): return self.HTTPServer")
        XCTAssertEqual(String(decoding: expander.output, as: UTF8.self),
                       "def loginuser login user self return self httpserver http server")
        // The buffer is reused: a second call replaces, never appends.
        expander.expand("x")
        XCTAssertEqual(String(decoding: expander.output, as: UTF8.self), "x")
    }
}

final class ContentHashTests: XCTestCase {
    func testKnownSHA256Digests() {
        XCTAssertEqual(ContentHash(of: "").hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(ContentHash(of: "abc").hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // 56 bytes: the padding spills into a second block.
        XCTAssertEqual(ContentHash(of: "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq").hex,
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(ContentHash(of: String(repeating: "a", count: 1_000_000)).hex,
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testWrapsOnlyThirtyTwoBytes() {
        XCTAssertNil(ContentHash(bytes: [1, 2, 3]))
        XCTAssertEqual(ContentHash(bytes: ContentHash(of: "x").bytes), ContentHash(of: "x"))
    }
}
