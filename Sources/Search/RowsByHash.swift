import Store

/// Finds a vector matrix's row by content hash without asking the database:
/// an open-addressing table of row numbers, keyed by each hash's first eight
/// bytes (SHA-256 digests: spread evenly) and checked against all 32 bytes
/// in the matrix itself. Four bytes a slot at most half full, so 2 MB for
/// 217k rows, built in one pass.
struct RowsByHash: Sendable {
    private let matrix: VectorMatrix
    /// Row number plus one; 0 marks an empty slot.
    private let slots: [Int32]
    private let mask: Int

    init(_ matrix: VectorMatrix) {
        var capacity = 16
        while capacity < 2 * matrix.count { capacity *= 2 }
        var slots = [Int32](repeating: 0, count: capacity)
        let mask = capacity - 1
        for row in 0..<matrix.count {
            let bytes = matrix.hashBytes(ofRow: row)
            var slot = Self.slot(bytes, mask: mask)
            while slots[slot] != 0 {
                // A text is one row; were one repeated, the first row answers, as any holds its vector.
                if matrix.hashBytes(ofRow: Int(slots[slot]) - 1).elementsEqual(bytes) { break }
                slot = (slot + 1) & mask
            }
            if slots[slot] == 0 { slots[slot] = Int32(row + 1) }
        }
        self.matrix = matrix
        self.slots = slots
        self.mask = mask
    }

    /// The row holding `hash`'s vector; nil when the matrix has none.
    func row(of hash: ContentHash) -> Int? {
        hash.bytes.withUnsafeBytes { wanted -> Int? in
            guard wanted.count == 32 else { return nil }
            var slot = Self.slot(wanted, mask: mask)
            while slots[slot] != 0 {
                let row = Int(slots[slot]) - 1
                if matrix.hashBytes(ofRow: row).elementsEqual(wanted) { return row }
                slot = (slot + 1) & mask
            }
            return nil
        }
    }

    private static func slot(_ hash: UnsafeRawBufferPointer, mask: Int) -> Int {
        Int(truncatingIfNeeded: hash.loadUnaligned(as: UInt64.self)) & mask
    }
}
