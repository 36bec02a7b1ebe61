import Foundation
import HoneCodegen
import HoneIR

/// The version written into every record.
public let honeVersion = "0.1.0"

/// What a kernel is, for records: its name plus a hash of its canonical form
/// (every tensor, stage and expression after elaboration, and every parameter
/// value). Two kernels with the same identity compute the same thing on the
/// same shapes, so a schedule measured for one applies to the other.
public struct KernelIdentity: Hashable, Sendable, Codable, CustomStringConvertible {
    public var name: String
    /// 16 hex digits: FNV-1a (64-bit) of `Kernel.canonicalText`.
    public var hash: String
    public var parameters: [Parameter]

    public init(name: String, hash: String, parameters: [Parameter]) {
        self.name = name
        self.hash = hash
        self.parameters = parameters
    }

    public init(_ kernel: Kernel) {
        self.init(name: kernel.name, hash: fnv1a64Hex(kernel.canonicalText), parameters: kernel.parameters)
    }

    /// `gemm#1a2b3c4d5e6f7a8b`: unique per kernel and parameter values.
    public var key: String { "\(name)#\(hash)" }

    /// `gemm M=1024 N=1024 K=1024`.
    public var description: String {
        ([name] + parameters.map { "\($0.name)=\($0.value)" }).joined(separator: " ")
    }
}

/// FNV-1a, 64-bit, of the UTF-8 bytes, as 16 lowercase hex digits.
public func fnv1a64Hex(_ text: String) -> String {
    let digits = String(stableHash(text), radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
}

/// The machine a measurement was taken on: LLVM's host CPU name, a hash of
/// its feature string (the full string is ~900 characters; the hash keeps
/// records small while still telling different feature sets apart), and the
/// number of threads parallel loops used.
public struct TargetInfo: Hashable, Sendable, Codable, CustomStringConvertible {
    public var cpu: String
    /// `fnv1a64Hex(HostTarget.features)`.
    public var featuresHash: String
    public var threads: Int

    public init(cpu: String, featuresHash: String, threads: Int) {
        self.cpu = cpu
        self.featuresHash = featuresHash
        self.threads = threads
    }

    /// This machine, with `threads` parallel threads (default: OpenMP's default, one per core).
    public static func current(threads: Int? = nil) -> TargetInfo {
        let host = HostTarget.host
        return TargetInfo(cpu: host.cpu, featuresHash: fnv1a64Hex(host.features), threads: threads ?? OpenMP.threadCount)
    }

    public var description: String { "\(cpu) (features \(featuresHash.prefix(8)), \(threads) thread\(threads == 1 ? "" : "s"))" }
}

/// How a measurement finds its kernel in the worker process: the kernel
/// source text and parameter overrides (the worker parses and elaborates it
/// once and caches it).
public struct KernelSpec: Hashable, Sendable, Codable {
    public var source: String
    /// The file name diagnostics mention.
    public var file: String
    public var overrides: [String: Int]

    public init(source: String, file: String = "<string>", overrides: [String: Int] = [:]) {
        self.source = source
        self.file = file
        self.overrides = overrides
    }

    /// Reads a kernel file.
    public init(path: String, overrides: [String: Int] = [:]) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HoneError("cannot read kernel file '\(path)'")
        }
        self.init(source: String(decoding: data, as: UTF8.self), file: path, overrides: overrides)
    }

    public func load() throws -> Kernel {
        try Kernel.parse(source, file: file, overrides: overrides)
    }

    /// A key for caches: equal specs elaborate to equal kernels.
    var cacheKey: String {
        file + "\u{1}" + overrides.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",") + "\u{1}" + source
    }
}

/// A kernel to measure schedules of: where it comes from, the elaborated
/// kernel and its identity, and the seed of its random inputs.
public struct MeasureTask: Hashable, Sendable {
    public let spec: KernelSpec
    public let kernel: Kernel
    public let identity: KernelIdentity
    public let seed: UInt64

    public init(spec: KernelSpec, seed: UInt64 = 1) throws {
        self.spec = spec
        kernel = try spec.load()
        identity = KernelIdentity(kernel)
        self.seed = seed
    }

    /// Reads and elaborates a kernel file.
    public init(path: String, overrides: [String: Int] = [:], seed: UInt64 = 1) throws {
        try self.init(spec: try KernelSpec(path: path, overrides: overrides), seed: seed)
    }
}
