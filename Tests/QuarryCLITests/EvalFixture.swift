import Foundation

/// A five-function data set in CoSQA's layout (`code_idx_map.txt`, dev queries),
/// for running `quarry eval --data` in seconds rather than the minutes the
/// real corpus takes to embed.
enum EvalFixture {
    static let functions = [
        "def read_json(path):\n    import json\n    with open(path) as f:\n        return json.load(f)": 0,
        "def send_mail(host, to, body):\n    import smtplib\n    smtplib.SMTP(host).sendmail('me', to, body)": 1,
        "def reverse_string(s):\n    return s[::-1]": 2,
        "def square_root(x):\n    import math\n    return math.sqrt(x)": 3,
        "def list_files(directory):\n    import os\n    return os.listdir(directory)": 4,
    ]

    static let devQueries: [[String: Any]] = [
        ["doc": "python load json file", "retrieval_idx": 0, "label": 1],
        ["doc": "python reverse a string", "retrieval_idx": 2, "label": 1],
        ["doc": "python list files in directory", "retrieval_idx": 4, "label": 1],
    ]

    /// Writes the data set under `parent/eval-data` (dev and test share the
    /// queries) once, and returns that directory.
    static func directory(in parent: URL) -> URL {
        let data = parent.appendingPathComponent("eval-data")
        guard !FileManager.default.fileExists(atPath: data.path) else { return data }
        do {
            try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
            try JSONSerialization.data(withJSONObject: functions).write(to: data.appendingPathComponent("code_idx_map.txt"))
            let queries = try JSONSerialization.data(withJSONObject: devQueries)
            for split in ["dev", "test"] {
                try queries.write(to: data.appendingPathComponent("cosqa-retrieval-\(split)-500.json"))
            }
        } catch {
            preconditionFailure("cannot write the eval fixture under \(parent.path): \(error)")
        }
        return data
    }
}
