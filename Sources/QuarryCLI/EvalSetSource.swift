import Engine
import Foundation
import Store

/// Fetches a set's source packages (cached, SHA-256-checked) and unpacks each
/// into a git repository as shipped: one commit, fixed author and date.
struct EvalSetSource {
    /// Where downloads are cached (`$QUARRY_HOME/downloads`).
    var downloads: String

    /// The package file in the download cache, fetched with its ordinary
    /// client (pip or apt-get) when absent; its SHA-256 must match.
    func archive(for repository: EvalSetRepository) throws -> String {
        let path = downloads + "/" + repository.file
        if FileManager.default.fileExists(atPath: path) {
            try verify(path, repository)
            return path
        }
        try FileManager.default.createDirectory(atPath: downloads, withIntermediateDirectories: true)
        let command: [String]
        switch repository.source {
        case .pypi:
            command = ["python3", "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
                       "-d", downloads, "\(repository.package)==\(repository.version)"]
        case .debian:
            command = ["apt-get", "download", "-q", "\(repository.package)=\(repository.version)"]
        }
        do {
            try Subprocess.run(command, in: downloads,
                               label: repository.source == .pypi ? "pip download" : "apt-get download")
        } catch {
            let hint = repository.source == .debian ? "run apt-get update first, or " : ""
            throw CLIError("cannot download \(repository.file) (\(error)); \(hint)offline, copy it into \(downloads)")
        }
        guard FileManager.default.fileExists(atPath: path) else {
            throw CLIError("\(command.joined(separator: " ")) did not write \(path)")
        }
        try verify(path, repository)
        return path
    }

    private func verify(_ path: String, _ repository: EvalSetRepository) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("cannot read \(path)") }
        let digest = ContentHash(digesting: [UInt8](data)).hex
        guard digest == repository.sha256 else {
            throw CLIError("\(path): sha256 \(digest), expected \(repository.sha256); delete it to download again")
        }
    }

    /// Unpacks `archive` into `<work>/<name>/repo` and commits it, unless a
    /// repository from the same archive is already there; returns its path.
    func materialize(_ repository: EvalSetRepository, archive: String, in work: String) throws -> String {
        let fm = FileManager.default
        let base = work + "/" + repository.name
        let path = base + "/repo"
        let stamp = path + "/.git/quarry-eval-source"
        if let existing = fm.contents(atPath: stamp), String(decoding: existing, as: UTF8.self) == repository.sha256 {
            return path
        }
        let unpacked = base + "/unpacked"
        try? fm.removeItem(atPath: path)
        try? fm.removeItem(atPath: unpacked)
        try fm.createDirectory(atPath: unpacked, withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: unpacked) }
        switch repository.source {
        // --no-same-owner: files owned by the packager's uid would make git refuse the repository.
        case .pypi: try Subprocess.run(["tar", "--no-same-owner", "-xf", archive, "-C", unpacked])
        case .debian: try Subprocess.run(["dpkg-deb", "-x", archive, unpacked])
        }
        var root = unpacked
        if repository.root.isEmpty {
            // A source distribution holds one top directory, NAME-VERSION/.
            let top = try fm.contentsOfDirectory(atPath: unpacked)
            guard top.count == 1 else { throw CLIError("\(archive): expected one top directory, found \(top.count)") }
            root += "/" + top[0]
        } else {
            root += "/" + repository.root
        }
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CLIError("\(archive): no directory \(repository.root) inside")
        }
        try fm.moveItem(atPath: root, toPath: path)
        try Subprocess.git(["init", "-q"], in: path)
        // -f: files the package ships are committed even where its own .gitignore would leave them out.
        try Subprocess.git(["add", "-A", "-f", "."], in: path)
        try Subprocess.git(["commit", "-q", "--no-verify", "-m", "\(repository.package) \(repository.version)"], in: path)
        guard fm.createFile(atPath: stamp, contents: Data(repository.sha256.utf8)) else {
            throw CLIError("cannot write \(stamp)")
        }
        return path
    }
}

/// Runs a command and waits; a non-zero exit throws its last line of stderr.
enum Subprocess {
    static func run(_ arguments: [String], in directory: String? = nil, environment: [String: String]? = nil,
                    label: String? = nil) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if let environment { process.environment = environment }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw CLIError("cannot run \(arguments[0]): \(error.localizedDescription)")
        }
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let lines = String(decoding: message, as: UTF8.self).split(whereSeparator: \.isNewline)
            let reason = lines.first { line in ["fatal:", "error:", "E:", "ERROR:"].contains { line.hasPrefix($0) } }
                ?? lines.last { !$0.hasPrefix("W:") }
            throw CLIError("\(label ?? arguments[0]) failed: "
                           + (reason.map { $0.trimmingCharacters(in: .whitespaces) } ?? "exit status \(process.terminationStatus)"))
        }
    }

    /// git with a fixed author, committer and date, so commits are reproducible.
    static func git(_ arguments: [String], in directory: String) throws {
        var environment = ProcessInfo.processInfo.environment
        for role in ["AUTHOR", "COMMITTER"] {
            environment["GIT_\(role)_NAME"] = "quarry eval"
            environment["GIT_\(role)_EMAIL"] = "eval@quarry.invalid"
            environment["GIT_\(role)_DATE"] = "2020-01-01T00:00:00Z"
        }
        try run(["git", "-c", "core.autocrlf=false", "-c", "commit.gpgsign=false", "-c", "safe.directory=" + directory]
                + arguments, in: directory, environment: environment, label: "git \(arguments.first ?? "") in \(directory)")
    }
}
