import Foundation
import HoneIR

// Schedules as JSON: one object per step with a "kind" and the step's fields,
// so schedule files read (and diff) well:
//   {"kind": "split", "stage": "C", "loop": "i", "factors": [8, 6]}
extension Step: Codable {
    private enum Key: String, CodingKey {
        case kind, stage, loop, factors, order, loops, consumer, factor, tensor, dimension, block, stride
        case maxStep = "max_step"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        let kind = try c.decode(String.self, forKey: .kind)
        func stage() throws -> String { try c.decode(String.self, forKey: .stage) }
        func loop() throws -> String { try c.decode(String.self, forKey: .loop) }
        switch kind {
        case "split": self = .split(stage: try stage(), loop: try loop(), factors: try c.decode([Int].self, forKey: .factors))
        case "reorder": self = .reorder(stage: try stage(), order: try c.decode([String].self, forKey: .order))
        case "fuse": self = .fuse(stage: try stage(), loops: try c.decode([String].self, forKey: .loops))
        case "vectorize": self = .vectorize(stage: try stage(), loop: try loop())
        case "unroll": self = .unroll(stage: try stage(), loop: try loop())
        case "unroll_max_step": self = .unrollMaxStep(stage: try stage(), maxStep: try c.decode(Int.self, forKey: .maxStep))
        case "parallel": self = .parallel(stage: try stage(), loop: try loop())
        case "compute_at": self = .computeAt(stage: try stage(), consumer: try c.decode(String.self, forKey: .consumer), loop: try loop())
        case "compute_inline": self = .computeInline(stage: try stage())
        case "compute_root": self = .computeRoot(stage: try stage())
        case "cache_write": self = .cacheWrite(stage: try stage())
        case "rfactor": self = .rfactor(stage: try stage(), loop: try loop(), factor: try c.decode(Int.self, forKey: .factor))
        case "pack":
            self = .pack(tensor: try c.decode(String.self, forKey: .tensor), dimension: try c.decode(Int.self, forKey: .dimension),
                         block: try c.decode(Int.self, forKey: .block))
        case "deinterleave":
            self = .deinterleave(tensor: try c.decode(String.self, forKey: .tensor), dimension: try c.decode(Int.self, forKey: .dimension),
                                 stride: try c.decode(Int.self, forKey: .stride))
        case "storage_order": self = .storageOrder(stage: try stage(), order: try c.decode([String].self, forKey: .order))
        default:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription:
                "unknown step kind '\(kind)'; expected one of split, reorder, fuse, vectorize, unroll, unroll_max_step, parallel, compute_at, compute_inline, compute_root, cache_write, rfactor, pack, deinterleave, storage_order")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(kind, forKey: .kind)
        switch self {
        case .pack(let tensor, let dimension, let block):
            try c.encode(tensor, forKey: .tensor)
            try c.encode(dimension, forKey: .dimension)
            try c.encode(block, forKey: .block)
            return
        case .deinterleave(let tensor, let dimension, let stride):
            try c.encode(tensor, forKey: .tensor)
            try c.encode(dimension, forKey: .dimension)
            try c.encode(stride, forKey: .stride)
            return
        default: try c.encode(stage, forKey: .stage)
        }
        switch self {
        case .split(_, let loop, let factors):
            try c.encode(loop, forKey: .loop)
            try c.encode(factors, forKey: .factors)
        case .reorder(_, let order), .storageOrder(_, let order): try c.encode(order, forKey: .order)
        case .fuse(_, let loops): try c.encode(loops, forKey: .loops)
        case .vectorize(_, let loop), .unroll(_, let loop), .parallel(_, let loop): try c.encode(loop, forKey: .loop)
        case .unrollMaxStep(_, let maxStep): try c.encode(maxStep, forKey: .maxStep)
        case .computeAt(_, let consumer, let loop):
            try c.encode(consumer, forKey: .consumer)
            try c.encode(loop, forKey: .loop)
        case .rfactor(_, let loop, let factor):
            try c.encode(loop, forKey: .loop)
            try c.encode(factor, forKey: .factor)
        case .computeInline, .computeRoot, .cacheWrite, .pack, .deinterleave: break
        }
    }
}

extension Schedule: Codable {
    private enum Key: String, CodingKey { case steps }

    public init(from decoder: Decoder) throws {
        steps = try decoder.container(keyedBy: Key.self).decode([Step].self, forKey: .steps)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(steps, forKey: .steps)
    }

    /// Reads a schedule file; decoding problems become a HoneError naming the file.
    public static func load(path: String) throws -> Schedule {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw HoneError("cannot read schedule \(path): \(error.localizedDescription)")
        }
        do {
            return try JSONDecoder().decode(Schedule.self, from: data)
        } catch let error as DecodingError {
            throw HoneError("\(path): not a valid schedule: \(describe(error))")
        } catch {
            throw HoneError("\(path): not a valid schedule: \(error)")
        }
    }

    /// Pretty, key-sorted JSON (stable for diffs and records).
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }
}

private func describe(_ error: DecodingError) -> String {
    func path(_ context: DecodingError.Context) -> String {
        let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return path.isEmpty ? "" : " at \(path)"
    }
    switch error {
    case .keyNotFound(let key, let context): return "missing field '\(key.stringValue)'\(path(context))"
    case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
        return "\(context.debugDescription)\(path(context))"
    @unknown default: return "\(error)"
    }
}
