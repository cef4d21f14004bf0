import Arguments
import Encoder
import Engine
import Foundation

enum EmbedCommand {
    static let spec = CommandSpec(
        path: "quarry embed",
        summary: "Embed texts from stdin: one JSON array of floats per input line, in input order.",
        discussion: """
        Input: one text per line, or JSON Lines objects with a "text" key (a line
        starting with '{' is read as JSON). Texts are embedded on the passage side
        unless --query is given; the model's own prefixes (e5: "query: ",
        "passage: ") are added. Vectors are L2-normalised; --dim truncates them
        (Matryoshka) and normalises again.

        Examples:
          echo "where is auth handled" | quarry embed --query
          quarry embed --model granite-embedding-97m-multilingual-r2 < chunks.jsonl
        """,
        options: [
            OptionSpec("model", value: "NAME|DIR", help: "Model name or directory (default multilingual-e5-small)."),
            .flag("query", help: "Embed as queries (default: passages)."),
            OptionSpec("dim", value: "N", help: "Truncate vectors to N dimensions and re-normalise."),
            OptionSpec("batch", value: "N", help: "Texts read per batch (default 1024)."),
        ])

    static let command = Command(spec: spec) { context in
        let args = context.arguments
        let library = ModelLibrary(paths: context.paths, environment: context.environment)
        let model = try ModelLoader.load(directory: library.directory(for: args.value("model")))
        let dimension = try args.value("dim").map { _ in try args.integer("dim", default: 0, in: 1...model.dimension) }
        let batchSize = try args.integer("batch", default: 1024, in: 1...1_000_000)
        let role: TextRole = args.flag("query") ? .query : .passage
        var lineNumber = 0
        var batch: [String] = []
        func flush() throws {
            guard !batch.isEmpty else { return }
            for vector in try model.embed(batch, as: role, dimension: dimension) {
                context.console.line(formatVector(vector))
            }
            batch.removeAll(keepingCapacity: true)
        }
        while let line = readLine(strippingNewline: true) {
            lineNumber += 1
            batch.append(try text(of: line, lineNumber: lineNumber))
            if batch.count >= batchSize { try flush() }
        }
        try flush()
        return .success
    }

    /// A plain line, or the "text" of a JSON object line.
    static func text(of line: String, lineNumber: Int) throws -> String {
        guard line.first == "{" else { return line }
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw CLIError("stdin line \(lineNumber): invalid JSON")
        }
        guard let text = object["text"] as? String else {
            throw CLIError("stdin line \(lineNumber): JSON object has no string \"text\"")
        }
        return text
    }

    static func formatVector(_ vector: [Float]) -> String {
        var out = "["
        out.reserveCapacity(vector.count * 12)
        for (i, value) in vector.enumerated() {
            if i > 0 { out += "," }
            out += value.isFinite ? value.description : "null"
        }
        return out + "]"
    }
}
