import Engine
import Foundation

/// An evaluation set (`quarry eval --set NAME`): real repositories rebuilt
/// from pinned source packages, and questions in several human languages
/// whose answers (path and chunk symbol) are known.
///
/// On disk: `manifest.json` (languages, repositories) and one
/// `questions/<repository>.json` array per repository; see
/// Benchmarks/sets/README.md.
struct EvalSet {
    var name: String
    var directory: String
    /// Human languages every question is written in (BCP 47 codes), English first.
    var languages: [String]
    var repositories: [EvalSetRepository]
    var questions: [EvalSetQuestion]

    static let splits = ["dev", "test"]

    /// The set directory for `--set` NAME: a path when it holds a slash,
    /// else `Benchmarks/sets/NAME` under the current directory.
    static func directory(for name: String) -> String {
        name.contains("/") ? name : "Benchmarks/sets/" + name
    }

    init(directory: String) throws {
        let manifestPath = directory + "/manifest.json"
        guard let manifest = try Self.readObject(at: manifestPath, missing: "no evaluation set at \(manifestPath)")
            as? [String: Any] else {
            throw CLIError("\(manifestPath): expected a JSON object")
        }
        guard let name = manifest["name"] as? String, let languages = manifest["languages"] as? [String],
              languages.first == "en", let repositories = manifest["repositories"] as? [[String: Any]] else {
            throw CLIError("\(manifestPath): needs \"name\", \"languages\" (English first) and \"repositories\"")
        }
        self.name = name
        self.directory = directory
        self.languages = languages
        self.repositories = try repositories.enumerated().map { index, object in
            try EvalSetRepository(object, at: "\(manifestPath): repository \(index + 1)")
        }
        questions = []
        for repository in self.repositories {
            let path = directory + "/questions/\(repository.name).json"
            guard let rows = try Self.readObject(at: path, missing: "no questions at \(path)") as? [[String: Any]] else {
                throw CLIError("\(path): expected a JSON array of objects")
            }
            questions += try rows.enumerated().map { index, row in
                try EvalSetQuestion(row, repository: repository.name, languages: languages,
                                    at: "\(path): question \(index + 1)")
            }
        }
        try validate()
    }

    func questions(split: String) -> [EvalSetQuestion] { questions.filter { $0.split == split } }

    /// Ids, answers and each language's question texts are unique.
    private func validate() throws {
        var ids = Set<String>(), answers = Set<String>(), names = Set<String>()
        for repository in repositories where !names.insert(repository.name).inserted {
            throw CLIError("\(name): repository \(repository.name) is listed twice")
        }
        var texts = Dictionary(uniqueKeysWithValues: languages.map { ($0, Set<String>()) })
        for question in questions {
            guard ids.insert(question.id).inserted else { throw CLIError("\(name): question id \(question.id) is used twice") }
            let answer = "\(question.repository):\(question.path):\(question.symbol)"
            guard answers.insert(answer).inserted else { throw CLIError("\(name): \(question.id) repeats the answer \(answer)") }
            for (language, text) in question.texts where !(texts[language]?.insert(text).inserted ?? true) {
                throw CLIError("\(name): \(question.id) repeats the \(language) question \"\(text)\"")
            }
        }
    }

    private static func readObject(at path: String, missing: String) throws -> Any {
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError(missing) }
        do {
            return try JSONSerialization.jsonObject(with: data)
        } catch {
            throw CLIError("\(path): not valid JSON (\(error.localizedDescription))")
        }
    }
}

/// One repository of a set: a source package pinned by version and SHA-256,
/// unpacked as shipped (tests, docs and data included) into a git repository.
struct EvalSetRepository {
    enum Source: String {
        /// A PyPI source distribution (`pip download --no-binary :all:`).
        case pypi
        /// A Debian binary package (`apt-get download`); `root` picks the directory inside it.
        case debian
    }

    var name: String
    var source: Source
    var package: String
    var version: String
    /// The downloaded file's name, as the client saves it.
    var file: String
    var sha256: String
    /// Directory inside the unpacked package that becomes the repository root
    /// ("" for a source distribution's single top directory).
    var root: String
    var licence: String

    init(_ object: [String: Any], at location: String) throws {
        guard let name = object["name"] as? String, !name.isEmpty, !name.contains("/"),
              let sourceName = object["source"] as? String, let source = Source(rawValue: sourceName),
              let package = object["package"] as? String, let version = object["version"] as? String,
              let file = object["file"] as? String, !file.contains("/"),
              let sha256 = object["sha256"] as? String, sha256.count == 64,
              let licence = object["licence"] as? String else {
            throw CLIError("\(location): needs name, source (pypi or debian), package, version, file, "
                           + "sha256 (64 hex digits) and licence")
        }
        self.name = name
        self.source = source
        self.package = package
        self.version = version
        self.file = file
        self.sha256 = sha256.lowercased()
        self.root = object["root"] as? String ?? ""
        self.licence = licence
    }
}

/// A question with a known answer, written in every language of its set.
struct EvalSetQuestion {
    var id: String
    var repository: String
    var split: String
    /// Answer: the file's path in the repository and the chunk symbol Quarry gives the function.
    var path: String
    var symbol: String
    /// Other chunks that answer equally well (a thin wrapper, a build-tag
    /// variant of the same function); a result matching any of them counts.
    var alternatives: [(path: String, symbol: String)]

    /// The answer, then its alternatives.
    var answers: [(path: String, symbol: String)] { [(path, symbol)] + alternatives }
    /// Question text by language code.
    var texts: [String: String]

    init(_ object: [String: Any], repository: String, languages: [String], at location: String) throws {
        guard let id = object["id"] as? String, let split = object["split"] as? String,
              let path = object["path"] as? String, let symbol = object["symbol"] as? String,
              let texts = object["q"] as? [String: String] else {
            throw CLIError("\(location): needs id, split, path, symbol and q (question text by language)")
        }
        guard EvalSet.splits.contains(split) else {
            throw CLIError("\(location): split \"\(split)\" is not dev or test")
        }
        for language in languages {
            guard let text = texts[language], !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw CLIError("\(location) (\(id)): no \(language) question")
            }
        }
        if let extra = texts.keys.sorted().first(where: { !languages.contains($0) }) {
            throw CLIError("\(location) (\(id)): language \(extra) is not in the set's languages")
        }
        self.id = id
        self.repository = repository
        self.split = split
        self.path = path
        self.symbol = symbol
        self.texts = texts
        guard let also = object["also"] as? [[String: String]] ?? (object["also"] == nil ? [] : nil) else {
            throw CLIError("\(location) (\(id)): \"also\" must be an array of {path, symbol}")
        }
        alternatives = try also.map { entry in
            guard let path = entry["path"], let symbol = entry["symbol"] else {
                throw CLIError("\(location) (\(id)): each \"also\" entry needs path and symbol")
            }
            return (path, symbol)
        }
    }
}
