import Foundation
import XCTest

/// Questions in six languages about a small repository of real code: the
/// function that answers must rank in the top 5 in semantic and hybrid mode.
final class MultilingualSearchTests: XCTestCase {
    /// (question, symbol that answers it)
    static let questions: [(String, String)] = [
        // English
        ("where are passwords checked at login", "auth.verify_login"),
        ("send an email notification", "mail.send_email"),
        ("retry a failed http request", "fetchWithRetry"),
        // Chinese
        ("如何发送电子邮件", "mail.send_email"),
        ("读取配置文件", "config.LoadConfig"),
        ("用户登录验证密码", "auth.verify_login"),
        // German
        ("Wo wird die Anmeldung geprüft?", "auth.verify_login"),
        ("Bild verkleinern und Vorschaubild erzeugen", "images.make_thumbnail"),
        ("Konfigurationsdatei laden", "config.LoadConfig"),
        // Spanish
        ("conectar a la base de datos", "shop.Store.connectDatabase"),
        ("ordenar usuarios por edad", "sortUsersByAge"),
        ("calcular el precio total del carrito", "shop.Store.cartTotal"),
        // Japanese
        ("パスワードをハッシュ化する", "auth.hash_password"),
        ("メールを送信する", "mail.send_email"),
        ("画像のサムネイルを作成する", "images.make_thumbnail"),
        // Russian
        ("отправить письмо по электронной почте", "mail.send_email"),
        ("подключиться к базе данных", "shop.Store.connectDatabase"),
        ("повторить запрос при ошибке сети", "fetchWithRetry"),
    ]

    func testQuestionsInSixLanguagesFindTheRightFunction() throws {
        let repository = try ScratchRepository()
        defer { repository.remove() }
        try repository.copyTree(from: packageRoot.appendingPathComponent("Fixtures/multilingual"), to: "src")
        try repository.commitAll()
        let index = try QuarryProcess.run(["index", repository.path, "--json"])
        XCTAssertEqual(index.status, 0, index.stderr)
        XCTAssertGreaterThan(index.jsonLines.first?["embedded"] as? Int ?? 0, 8)

        for mode in ["semantic", "hybrid"] {
            for (question, symbol) in Self.questions {
                let outcome = try QuarryProcess.run(["search", "--repo", repository.path, "--mode", mode,
                                                     "--json", "-k", "5", question])
                XCTAssertEqual(outcome.status, 0, outcome.stderr)
                let symbols = outcome.jsonLines.compactMap { $0["symbol"] as? String }
                XCTAssertTrue(symbols.contains { $0.hasSuffix(symbol) },
                              "\(mode): '\(question)' should find \(symbol) in the top 5, got \(symbols)")
            }
        }
    }
}
