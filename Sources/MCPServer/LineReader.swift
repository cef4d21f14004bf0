import Foundation

/// Splits a byte stream (stdin) into newline-terminated messages. A line
/// longer than `maximumLength` is dropped as it streams in, so a client that
/// never sends a newline cannot grow the server's memory without bound; the
/// caller answers it with an error instead.
struct LineReader {
    enum Line: Equatable {
        case message([UInt8])
        case tooLong(bytes: Int)
    }

    let descriptor: Int32
    let maximumLength: Int
    private var buffer: [UInt8] = []
    private var discarding = 0
    private var pending: [Line] = []
    private var finished = false

    init(descriptor: Int32, maximumLength: Int) {
        self.descriptor = descriptor
        self.maximumLength = maximumLength
    }

    /// The next line, or nil at end of input (a last line without a newline counts).
    mutating func next() -> Line? {
        while pending.isEmpty {
            if finished { return nil }
            fill()
        }
        return pending.removeFirst()
    }

    private mutating func fill() {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { return }
        guard count > 0 else {
            finished = true
            if discarding > 0 { pending.append(.tooLong(bytes: discarding + buffer.count)) }
            else if !buffer.isEmpty { pending.append(.message(buffer)) }
            buffer = []
            return
        }
        var start = 0
        for index in 0..<count where chunk[index] == 0x0A {
            accept(chunk[start..<index], complete: true)
            start = index + 1
        }
        accept(chunk[start..<count], complete: false)
    }

    private mutating func accept(_ bytes: ArraySlice<UInt8>, complete: Bool) {
        if discarding > 0 || buffer.count + bytes.count > maximumLength {
            discarding += buffer.count + bytes.count
            buffer = []
        } else {
            buffer += bytes
        }
        guard complete else { return }
        if discarding > 0 {
            pending.append(.tooLong(bytes: discarding))
            discarding = 0
        } else {
            if buffer.last == 0x0D { buffer.removeLast() }
            // Blank lines between messages carry nothing to answer.
            if !buffer.isEmpty { pending.append(.message(buffer)) }
        }
        buffer = []
    }
}
