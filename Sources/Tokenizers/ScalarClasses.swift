// Unicode character classes for the hand-written pre-tokenizer scanners.

/// Bit set of the regex classes a scalar belongs to (`\p{L}`, `\p{N}`, `\s`, ...).
struct ScalarClass: OptionSet, Sendable {
    let rawValue: UInt16

    static let letter = ScalarClass(rawValue: 1 << 0)  // \p{L}
    static let number = ScalarClass(rawValue: 1 << 1)  // \p{N}
    static let whitespace = ScalarClass(rawValue: 1 << 2)  // \s (White_Space)
    /// o200k's `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]`.
    static let upperish = ScalarClass(rawValue: 1 << 3)
    /// o200k's `[\p{Ll}\p{Lm}\p{Lo}\p{M}]`.
    static let lowerish = ScalarClass(rawValue: 1 << 4)
    /// `\r` or `\n`.
    static let lineBreak = ScalarClass(rawValue: 1 << 5)
    /// Rust regex `\w`: alphabetic, marks, decimal digits, connector punctuation.
    static let word = ScalarClass(rawValue: 1 << 6)

    init(rawValue: UInt16) { self.rawValue = rawValue }

    init(_ scalar: Unicode.Scalar) {
        if scalar.value < 128 {
            self = ScalarClass.ascii[Int(scalar.value)]
        } else {
            self = ScalarClass.classify(scalar)
        }
    }

    private static let ascii: [ScalarClass] = (0..<128).map { classify(Unicode.Scalar(UInt8($0))) }

    private static func classify(_ scalar: Unicode.Scalar) -> ScalarClass {
        let properties = scalar.properties
        var result: ScalarClass = []
        if properties.isWhitespace { result.insert(.whitespace) }
        if scalar == "\r" || scalar == "\n" { result.insert(.lineBreak) }
        switch properties.generalCategory {
        case .uppercaseLetter, .titlecaseLetter:
            result.formUnion([.letter, .upperish, .word])
        case .lowercaseLetter:
            result.formUnion([.letter, .lowerish, .word])
        case .modifierLetter, .otherLetter:
            result.formUnion([.letter, .upperish, .lowerish, .word])
        case .nonspacingMark, .spacingMark, .enclosingMark:
            result.formUnion([.upperish, .lowerish, .word])
        case .decimalNumber:
            result.formUnion([.number, .word])
        case .letterNumber, .otherNumber:
            result.insert(.number)
            if properties.isAlphabetic { result.insert(.word) }
        case .connectorPunctuation:
            result.insert(.word)
        default:
            if properties.isAlphabetic || properties.isJoinControl { result.insert(.word) }
        }
        return result
    }
}

/// A UTF-8 buffer decoded once into scalars, their classes and byte offsets, so that
/// scanners work on code points and report byte ranges.
struct ScalarText {
    private(set) var values: [UInt32] = []
    private(set) var classes: [ScalarClass] = []
    /// Byte offset of each scalar, plus the total length at the end.
    private(set) var offsets: [Int] = []

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        values.reserveCapacity(bytes.count)
        classes.reserveCapacity(bytes.count)
        offsets.reserveCapacity(bytes.count + 1)
        var index = 0
        while index < bytes.count {
            let (scalar, length) = decodeUTF8(bytes, at: index)
            values.append(scalar.value)
            classes.append(ScalarClass(scalar))
            offsets.append(index)
            index += length
        }
        offsets.append(bytes.count)
    }

    var count: Int { values.count }
}

/// Decodes one scalar; invalid sequences (impossible for Swift strings) read as U+FFFD of length 1.
@inline(__always)
func decodeUTF8(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (Unicode.Scalar, Int) {
    let lead = bytes[index]
    if lead < 0x80 { return (Unicode.Scalar(lead), 1) }
    let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
    guard index + length <= bytes.count else { return ("\u{FFFD}", 1) }
    var value = UInt32(lead) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
    for offset in 1..<length { value = value << 6 | UInt32(bytes[index + offset] & 0x3F) }
    return (Unicode.Scalar(value) ?? "\u{FFFD}", length)
}
