import QuarryCore

/// Languages of files recognised by their whole name.
private let languageByFileName: [String: Language] = [
    "Rakefile": .ruby, "Gemfile": .ruby, "Guardfile": .ruby, "Capfile": .ruby, "Vagrantfile": .ruby,
]

/// Languages by lowercased file extension.
private let languageByExtension: [String: Language] = [
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
]

/// Interpreters named on a `#!` line, by their name with any version suffix
/// (`python3.11` -> `python`) removed.
private let languageByInterpreter: [String: Language] = [
    "python": .python, "ruby": .ruby, "php": .php, "node": .javascript, "nodejs": .javascript,
]

/// The language of a file: by name or extension first, then by the
/// interpreter on a `#!` first line, otherwise `.other`.
public func detectLanguage(path: String, firstLine: Substring?) -> Language {
    let name = path.split(separator: "/").last.map(String.init) ?? path
    if let language = languageByFileName[name] { return language }
    if let dot = name.lastIndex(of: "."), dot != name.startIndex,
       let language = languageByExtension[name[name.index(after: dot)...].lowercased()] {
        return language
    }
    if let firstLine, let language = languageFromShebang(firstLine) { return language }
    return .other
}

/// The language named by a `#!` line: `#!/usr/bin/python3`,
/// `#!/usr/bin/env -S node --flag`, `#!/usr/bin/env PYTHONPATH=. python`.
func languageFromShebang(_ line: Substring) -> Language? {
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
    let base = interpreter.prefix { !$0.isNumber && $0 != "." && $0 != "-" }
    return languageByInterpreter[String(base)]
}
