import Foundation
import HoneIR

/// Writes to a temporary file beside `path`, then renames it over `path`:
/// a reader sees the old file or the new one, never half of one.
func writeAtomically(_ text: String, to path: String) throws {
    let temporary = "\(path).tmp-\(getpid())"
    do {
        try text.write(toFile: temporary, atomically: false, encoding: .utf8)
    } catch {
        throw HoneError("cannot write \(path): \(error.localizedDescription)")
    }
    try moveReplacing(temporary, to: path)
}

/// Renames `from` over `path` (one atomic step on one file system).
func moveReplacing(_ from: String, to path: String) throws {
    guard rename(from, path) == 0 else {
        let reason = String(cString: strerror(errno))
        unlink(from)
        throw HoneError("cannot rename \(from) to \(path): \(reason)")
    }
}

/// An exclusive `flock` on a folder, so processes writing the same output
/// files take turns; released by `unlock` or when the process ends.
struct FolderLock {
    private let fd: Int32

    init(_ path: String) throws {
        fd = open(path.isEmpty ? "." : path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw HoneError("cannot open folder \(path): \(String(cString: strerror(errno)))") }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else {
                let reason = String(cString: strerror(errno))
                close(fd)
                throw HoneError("cannot lock folder \(path): \(reason)")
            }
        }
    }

    func unlock() {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
