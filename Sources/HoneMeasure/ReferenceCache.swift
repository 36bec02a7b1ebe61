import Foundation

/// Reference outputs kept on disk for the worker that replaces a killed
/// one: a candidate given up by a timeout or a crash then costs a process
/// start, not the reference again (seconds for a large kernel: an
/// interpreter pass or a JIT-compiled default schedule, and its check).
///
/// One file per kernel and seed in a directory the parent owns
/// (`WorkerMeasurer`), written once, atomically (a temporary file, then a
/// rename). A file is used only when the full key it holds matches, so a
/// hash collision or a torn file costs a recomputation, never a wrong
/// reference.
struct ReferenceCache {
    let directory: String

    /// The reference of `key`, or nil when none is stored (or it does not read back whole).
    func load(key: String) -> (values: [Double], fromInterpreter: Bool)? {
        guard let data = FileManager.default.contents(atPath: path(for: key)) else { return nil }
        let keyBytes = Array(key.utf8)
        let header = 8 + keyBytes.count + 1 + 8
        guard data.count >= header else { return nil }
        return data.withUnsafeBytes { raw -> ([Double], Bool)? in
            guard raw.loadUnaligned(as: UInt64.self) == UInt64(keyBytes.count),
                  raw[8 ..< 8 + keyBytes.count].elementsEqual(keyBytes) else { return nil }
            let fromInterpreter = raw[8 + keyBytes.count] == 1
            let count = Int(raw.loadUnaligned(fromByteOffset: 8 + keyBytes.count + 1, as: UInt64.self))
            guard count >= 0, data.count == header + count * 8 else { return nil }
            let values = [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[header...]))
                initialized = count
            }
            return (values, fromInterpreter)
        }
    }

    /// Stores a reference; a failure only means the next worker recomputes it.
    func store(key: String, values: [Double], fromInterpreter: Bool) {
        let keyBytes = Array(key.utf8)
        var data = Data(capacity: 8 + keyBytes.count + 1 + 8 + values.count * 8)
        withUnsafeBytes(of: UInt64(keyBytes.count)) { data.append(contentsOf: $0) }
        data.append(contentsOf: keyBytes)
        data.append(fromInterpreter ? 1 : 0)
        withUnsafeBytes(of: UInt64(values.count)) { data.append(contentsOf: $0) }
        values.withUnsafeBytes { data.append(contentsOf: $0) }
        let target = path(for: key)
        let temporary = target + ".\(getpid()).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data) else { return }
        if rename(temporary, target) != 0 { unlink(temporary) }
    }

    private func path(for key: String) -> String {
        // FNV-1a: a stable name; the file itself holds the full key.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return directory + "/" + String(hash, radix: 16) + ".reference"
    }
}
