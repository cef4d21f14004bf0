#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory map of a whole file, unmapped when released.
/// Weights files are large; mapping lets the loader convert tensor by tensor
/// without reading the file into one heap buffer first.
final class MappedFile: @unchecked Sendable {
    let path: String
    let bytes: UnsafeRawBufferPointer
    private let base: UnsafeMutableRawPointer?

    init(path: String) throws(EncoderError) {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw .unreadableFile(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw .unreadableFile(path: path, reason: String(cString: strerror(errno)))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw .unreadableFile(path: path, reason: "not a regular file")
        }
        let size = Int(info.st_size)
        if size == 0 {
            // mmap refuses empty lengths; an empty file is still a valid (if useless) input.
            base = nil
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw .unreadableFile(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        base = mapped
        bytes = UnsafeRawBufferPointer(start: mapped, count: size)
    }

    /// Maps in the pages of `range` (bytes of the file) now rather than on first access.
    func prefetch(_ range: Range<Int>) {
        guard let base, !range.isEmpty, range.lowerBound >= 0, range.upperBound <= bytes.count else { return }
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = range.lowerBound / pageSize * pageSize
        let pointer = base + start
        let length = range.upperBound - start
        #if os(Linux)
        // One call populates the page tables (Linux 5.14+); older kernels refuse the advice.
        if madvise(pointer, length, MADV_POPULATE_READ) == 0 { return }
        #endif
        // Otherwise read a byte of each page, which faults it in.
        var sum: UInt8 = 0
        for offset in stride(from: 0, to: length, by: pageSize) {
            sum &+= pointer.load(fromByteOffset: offset, as: UInt8.self)
        }
        withExtendedLifetime(sum) {}
    }

    deinit {
        if let base { munmap(base, bytes.count) }
    }
}
