/// Reads the outermost node type of each pattern in a chunk query, so the
/// Chunker can walk the tree itself, skip function bodies, and run the query
/// only on nodes that can start a definition.
///
/// Returns nil when the query does not have the simple shape that makes this
/// safe (a wildcard or grouped root, or a pattern whose definition capture is
/// not on its outermost node); the whole-tree query is used then.
enum QueryRoots {
    static func nodeTypes(in query: [UInt8], definitionCaptures: Set<String>) -> Set<String>? {
        var scanner = Scanner(bytes: query)
        var roots: Set<String> = []
        while true {
            scanner.skipTrivia()
            guard let byte = scanner.peek else { return roots }
            switch byte {
            case UInt8(ascii: "("):
                guard let root = scanner.rootName(), root != "_" else { return nil }
                roots.insert(root)
                guard scanner.skipForm() else { return nil }
            case UInt8(ascii: "["):
                // Alternatives: each element's node type is a root.
                scanner.advance()
                while true {
                    scanner.skipTrivia()
                    guard let element = scanner.peek else { return nil }
                    if element == UInt8(ascii: "]") { scanner.advance(); break }
                    guard element == UInt8(ascii: "("), let root = scanner.rootName(), root != "_" else { return nil }
                    roots.insert(root)
                    guard scanner.skipForm() else { return nil }
                    scanner.skipCaptures()
                }
            default:
                return nil
            }
            // The definition capture must follow the outermost form.
            guard scanner.captures().contains(where: definitionCaptures.contains) else { return nil }
        }
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func advance() { index += 1 }

        mutating func skipTrivia() {
            while let byte = peek {
                if byte == UInt8(ascii: ";") {
                    while let next = peek, next != 0x0A { _ = next; advance() }
                } else if SourceText.isSpace(byte) {
                    advance()
                } else {
                    return
                }
            }
        }

        /// The node type after `(`, leaving the index on the `(`.
        func rootName() -> String? {
            var cursor = index + 1
            while cursor < bytes.count && SourceText.isSpace(bytes[cursor]) { cursor += 1 }
            let start = cursor
            while cursor < bytes.count && Scanner.isNameByte(bytes[cursor]) { cursor += 1 }
            return cursor > start ? String(decoding: bytes[start..<cursor], as: UTF8.self) : nil
        }

        /// Skips a balanced `( ... )` or `[ ... ]`, strings and comments included.
        mutating func skipForm() -> Bool {
            var depth = 0
            while let byte = peek {
                advance()
                switch byte {
                case UInt8(ascii: "("), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: ")"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return true }
                case UInt8(ascii: "\""):
                    while let next = peek, next != UInt8(ascii: "\"") {
                        advance()
                        if next == UInt8(ascii: "\\") { advance() }
                    }
                    advance()
                case UInt8(ascii: ";"):
                    while let next = peek, next != 0x0A { _ = next; advance() }
                default: break
                }
            }
            return false
        }

        /// Capture names (and quantifiers) right after a form.
        mutating func captures() -> [String] {
            var names: [String] = []
            while true {
                skipTrivia()
                guard let byte = peek else { return names }
                if byte == UInt8(ascii: "?") || byte == UInt8(ascii: "*") || byte == UInt8(ascii: "+") {
                    advance()
                } else if byte == UInt8(ascii: "@") {
                    advance()
                    let start = index
                    while let next = peek, Scanner.isNameByte(next) || next == UInt8(ascii: ".") { advance() }
                    names.append(String(decoding: bytes[start..<index], as: UTF8.self))
                } else {
                    return names
                }
            }
        }

        mutating func skipCaptures() { _ = captures() }

        static func isNameByte(_ byte: UInt8) -> Bool {
            byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || (byte >= 0x30 && byte <= 0x39)
                || ((byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A)
        }
    }
}
