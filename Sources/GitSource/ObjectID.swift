import CGit2

/// libgit2 must be initialised once per process before any other call; a
/// global `let` is initialised lazily and exactly once, even across threads.
let libgit2Initialized: Void = {
    // Returns the number of initialisations so far; nothing to check.
    _ = git_libgit2_init()
}()

private let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

/// Formats an object id as 40 lowercase hex digits without going through
/// libgit2's thread-local buffer: this runs once per tree entry.
func hexString(_ oid: UnsafePointer<git_oid>) -> String {
    withUnsafeBytes(of: oid.pointee.id) { raw in
        String(unsafeUninitializedCapacity: raw.count * 2) { buffer in
            var out = 0
            for byte in raw {
                buffer[out] = hexDigits[Int(byte >> 4)]
                buffer[out + 1] = hexDigits[Int(byte & 0x0f)]
                out += 2
            }
            return out
        }
    }
}

/// Parses a full 40-digit hex object id.
func objectID(fromHex hex: String) throws(GitSourceError) -> git_oid {
    let isHex = hex.utf8.allSatisfy { byte in
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }
    guard hex.utf8.count == 40, isHex else { throw .invalidObjectID(hex) }
    var oid = git_oid()
    guard git_oid_fromstr(&oid, hex) == 0 else { throw .invalidObjectID(hex) }
    return oid
}

/// libgit2's message for the most recent failure on this thread.
func lastErrorMessage() -> String {
    guard let error = git_error_last(), let message = error.pointee.message else {
        return "unknown error"
    }
    return String(cString: message)
}

/// Maps a raw git file mode to an entry mode; nil for trees and unknown modes.
func entryMode(rawMode: UInt32) -> EntryMode? {
    switch rawMode {
    case GIT_FILEMODE_BLOB.rawValue: return .file
    case GIT_FILEMODE_BLOB_EXECUTABLE.rawValue: return .executable
    case GIT_FILEMODE_LINK.rawValue: return .symlink
    case GIT_FILEMODE_COMMIT.rawValue: return .submodule
    // Old repositories may hold group-writable blobs (100664).
    case 0o100664: return .file
    default: return nil
    }
}
