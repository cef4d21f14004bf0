import QuarryCore

/// Decides a file's language: by whole file name, then extension, then the
/// interpreter on a `#!` line; content settles extensions shared by several
/// languages (`.h`). Built-in rules cover the languages Quarry ships; a grammar
/// manifest adds more with `adding(_:extensions:fileNames:interpreters:)`.
public struct LanguageDetector: Sendable, Hashable {
    private var byFileName: [String: Language]
    private var byExtension: [String: Language]
    private var byInterpreter: [String: Language]

    /// The rules for the languages Quarry knows without a grammar manifest.
    public static let builtIn = LanguageDetector(
        byFileName: [
            "Rakefile": .ruby, "Gemfile": .ruby, "Guardfile": .ruby, "Capfile": .ruby, "Vagrantfile": .ruby,
            ".bashrc": .bash, ".bash_profile": .bash, ".profile": .bash, ".zshrc": .bash,
            "PKGBUILD": .bash, "APKBUILD": .bash,
        ],
        byExtension: [
            "py": .python, "pyi": .python, "pyw": .python,
            "go": .go,
            "java": .java,
            "js": .javascript, "mjs": .javascript, "cjs": .javascript, "jsx": .javascript,
            "php": .php, "phtml": .php,
            "rb": .ruby, "rake": .ruby, "gemspec": .ruby, "ru": .ruby,
            "sql": .sql,
            "c": .c, "h": .c,
            "cc": .cpp, "cpp": .cpp, "cxx": .cpp, "c++": .cpp,
            "hh": .cpp, "hpp": .cpp, "hxx": .cpp, "h++": .cpp, "ipp": .cpp,
            "ts": .typescript, "mts": .typescript, "cts": .typescript,
            "tsx": .tsx,
            "rs": .rust,
            "swift": .swift,
            "kt": .kotlin, "kts": .kotlin,
            "cs": .csharp, "csx": .csharp,
            "scala": .scala, "sc": .scala, "sbt": .scala,
            "sh": .bash, "bash": .bash, "zsh": .bash, "ksh": .bash, "bats": .bash,
            "lua": .lua,
            "md": .markdown, "markdown": .markdown, "mdx": .markdown, "mkd": .markdown,
            "rst": .rst, "rest": .rst,
            "m": .objectiveC, "mm": .objectiveC,
        ],
        byInterpreter: [
            "python": .python, "ruby": .ruby, "php": .php, "node": .javascript, "nodejs": .javascript,
            "deno": .typescript, "ts-node": .typescript, "tsx": .typescript, "bun": .typescript,
            "sh": .bash, "bash": .bash, "zsh": .bash, "ksh": .bash, "dash": .bash, "ash": .bash,
            "lua": .lua, "luajit": .lua, "scala": .scala, "kotlin": .kotlin,
        ])

    /// These rules plus `language`'s (from a grammar manifest). Built-in rules
    /// win over added ones, so a manifest cannot silently move `.h` or `.ts`.
    public func adding(_ language: Language, extensions: [String] = [], fileNames: [String] = [],
                       interpreters: [String] = []) -> LanguageDetector {
        var copy = self
        for name in extensions {
            let key = (name.hasPrefix(".") ? String(name.dropFirst()) : name).lowercased()
            if !key.isEmpty, copy.byExtension[key] == nil { copy.byExtension[key] = language }
        }
        for name in fileNames where !name.isEmpty && copy.byFileName[name] == nil { copy.byFileName[name] = language }
        for name in interpreters where !name.isEmpty && copy.byInterpreter[name] == nil {
            copy.byInterpreter[name] = language
        }
        return copy
    }

    /// The language of a file: by name or extension first, then by the
    /// interpreter on a `#!` first line, otherwise `.other`. `text`, when
    /// given, settles extensions several languages share.
    public func language(path: String, firstLine: Substring?, text: String? = nil) -> Language {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        if let language = byFileName[name] { return language }
        if let dot = name.lastIndex(of: "."), dot != name.startIndex {
            let fileExtension = name[name.index(after: dot)...].lowercased()
            if let language = byExtension[fileExtension] {
                if fileExtension == "h", let text { return HeaderDialect.language(of: text) }
                return language
            }
        }
        if let firstLine, let language = language(shebang: firstLine) { return language }
        return .other
    }

    /// The language named by a `#!` line: `#!/usr/bin/python3`,
    /// `#!/usr/bin/env -S node --flag`, `#!/usr/bin/env PYTHONPATH=. python`.
    func language(shebang line: Substring) -> Language? {
        guard line.hasPrefix("#!") else { return nil }
        let words = line.dropFirst(2).split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
        guard let program = words.first?.split(separator: "/").last else { return nil }
        var interpreter = program
        if program == "env" {
            // env's own options and VAR=value assignments come before the program.
            guard let named = words.dropFirst().first(where: { !$0.hasPrefix("-") && !$0.contains("=") }) else {
                return nil
            }
            interpreter = named.split(separator: "/").last ?? named
        }
        if let exact = byInterpreter[String(interpreter)] { return exact }
        let base = interpreter.prefix { !$0.isNumber && $0 != "." && $0 != "-" }
        return byInterpreter[String(base)]
    }
}

/// The language of a file, by the built-in rules.
public func detectLanguage(path: String, firstLine: Substring?) -> Language {
    LanguageDetector.builtIn.language(path: path, firstLine: firstLine)
}

/// The language named by a `#!` line, by the built-in rules.
func languageFromShebang(_ line: Substring) -> Language? {
    LanguageDetector.builtIn.language(shebang: line)
}
