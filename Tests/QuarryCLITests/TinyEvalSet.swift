import Foundation
import Store
@testable import QuarryCLI

/// A tiny evaluation set for `quarry eval --set`: one package built here (two
/// fixture modules and a key file) placed in a download cache, so nothing is
/// fetched, and two questions in English and Chinese.
enum TinyEvalSet {
    /// Builds the package under `root/build`, puts its archive in `downloads`,
    /// writes the set under `root/set` (the mail answer named `mailSymbol`) and
    /// returns the set's directory.
    static func build(in root: String, downloads: String, mailSymbol: String = "mail.send_email") throws -> String {
        let fm = FileManager.default
        let package = root + "/build/tiny-1.0"
        try fm.createDirectory(atPath: package + "/certs", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: downloads, withIntermediateDirectories: true)
        for name in ["auth.py", "mail.py"] where !fm.fileExists(atPath: package + "/" + name) {
            try fm.copyItem(atPath: packageRoot.appendingPathComponent("Fixtures/multilingual/" + name).path,
                            toPath: package + "/" + name)
        }
        try "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"
            .write(toFile: package + "/certs/server.key", atomically: true, encoding: .utf8)
        let archive = downloads + "/tiny-1.0.tar.gz"
        if !fm.fileExists(atPath: archive) {
            try Subprocess.run(["tar", "-czf", archive, "-C", root + "/build", "tiny-1.0"])
        }
        let digest = ContentHash(digesting: [UInt8](try Data(contentsOf: URL(fileURLWithPath: archive)))).hex

        let set = root + "/set"
        try fm.createDirectory(atPath: set + "/questions", withIntermediateDirectories: true)
        try """
            {"name": "tiny", "languages": ["en", "zh"], "repositories": [{"name": "tiny", "source": "pypi",
             "package": "tiny", "version": "1.0", "file": "tiny-1.0.tar.gz", "sha256": "\(digest)", "licence": "MIT"}]}
            """.write(toFile: set + "/manifest.json", atomically: true, encoding: .utf8)
        try writeQuestions(in: set, mailSymbol: mailSymbol)
        return set
    }

    static func writeQuestions(in set: String, mailSymbol: String) throws {
        try """
            [{"id": "tiny-1", "split": "dev", "path": "auth.py", "symbol": "auth.verify_login",
              "q": {"en": "where are passwords checked at login", "zh": "用户登录验证密码"}},
             {"id": "tiny-2", "split": "test", "path": "mail.py", "symbol": "\(mailSymbol)",
              "q": {"en": "send an email notification", "zh": "如何发送电子邮件"}}]
            """.write(toFile: set + "/questions/tiny.json", atomically: true, encoding: .utf8)
    }
}
