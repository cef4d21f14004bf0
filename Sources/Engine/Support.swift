import Foundation

/// Where Quarry keeps what it installs: grammars, models, downloads.
public struct QuarryPaths: Sendable {
    public var home: String
    public var grammars: String
    public var models: String
    public var downloads: String
    /// The reference questions `HubnessCorrection` measures chunks against
    /// (written by `scripts/reference-questions.py`, run by `scripts/setup.sh`).
    public var referenceQuestions: String
    /// Derived data kept between runs (e.g. reference questions embedded per model).
    public var cache: String

    public init(environment: [String: String]) {
        let home = environment["QUARRY_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.cache/quarry")
        self.home = home
        grammars = environment["QUARRY_GRAMMARS"].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/grammars"
        models = home + "/models"
        downloads = home + "/downloads"
        referenceQuestions = environment["QUARRY_REFERENCE_QUESTIONS"].flatMap { $0.isEmpty ? nil : $0 }
            ?? home + "/reference/questions.tsv"
        cache = home + "/cache"
    }
}

/// Seconds from an arbitrary origin, for rates and ETAs.
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Peak resident memory of this process in bytes (Linux: ru_maxrss is KiB).
public func peakResidentBytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Int(usage.ru_maxrss) * 1024
}

/// "3.2 MB", "870 KB": sizes for humans.
public func formatBytes(_ bytes: Int) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1000, unit < units.count - 1 { value /= 1000; unit += 1 }
    return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
}

/// "1m05s", "12s", "0.4s".
public func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "?" }
    if seconds < 10 { return String(format: "%.1fs", seconds) }
    let whole = Int(seconds.rounded())
    if whole < 60 { return "\(whole)s" }
    if whole < 3600 { return String(format: "%dm%02ds", whole / 60, whole % 60) }
    return String(format: "%dh%02dm", whole / 3600, (whole % 3600) / 60)
}
