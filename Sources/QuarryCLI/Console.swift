import Engine
import Foundation

/// Where a command writes. Buffered stdout (results can be many), unbuffered
/// stderr for progress and errors, and the terminal facts that decide colour
/// and progress display.
public final class Console: @unchecked Sendable {
    private var buffer: [UInt8] = []
    private let lock = NSLock()
    public let stdoutIsTerminal: Bool
    public let stderrIsTerminal: Bool
    /// Colour on stdout: only on a terminal, never with NO_COLOR set.
    public let useColor: Bool

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        stdoutIsTerminal = isatty(STDOUT_FILENO) == 1
        stderrIsTerminal = isatty(STDERR_FILENO) == 1
        let noColor = environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        useColor = stdoutIsTerminal && !noColor && environment["TERM"] != "dumb"
    }

    /// Appends a line to stdout (flushed in large writes).
    public func line(_ text: String) {
        lock.lock(); defer { lock.unlock() }
        buffer.append(contentsOf: text.utf8)
        buffer.append(0x0A)
        if buffer.count >= 1 << 16 { flushLocked() }
    }

    public func flush() {
        lock.lock(); defer { lock.unlock() }
        flushLocked()
    }

    private func flushLocked() {
        buffer.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(STDOUT_FILENO, raw.baseAddress! + offset, raw.count - offset)
                if written <= 0 { break }  // EPIPE (e.g. `| head`): drop the rest quietly
                offset += written
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes a line to stderr immediately.
    public func error(_ text: String) {
        let line = text + "\n"
        _ = line.withCString { fputs($0, stderr) }
    }

    /// Styles `text` with an ANSI SGR code when colour is on.
    public func style(_ text: String, _ code: String) -> String {
        useColor ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }
}

/// A single self-overwriting status line on stderr, shown only on a terminal
/// and at most a few times a second.
public final class ProgressLine: @unchecked Sendable {
    private let enabled: Bool
    private var lastDraw = 0.0
    private var drawn = false

    public init(enabled: Bool) { self.enabled = enabled }

    /// Redraws with `text` unless drawn within the last 100 ms (`force` overrides).
    public func update(_ text: @autoclosure () -> String, force: Bool = false) {
        guard enabled else { return }
        let now = monotonicSeconds()
        guard force || now - lastDraw >= 0.1 else { return }
        lastDraw = now
        drawn = true
        fputs("\r\u{1B}[2K" + text(), stderr)
    }

    /// Clears the line so normal output starts at column 0.
    public func finish() {
        guard enabled, drawn else { return }
        fputs("\r\u{1B}[2K", stderr)
        drawn = false
    }
}
