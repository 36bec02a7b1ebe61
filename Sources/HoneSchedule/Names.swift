/// The names steps give the loops they create. Steps and the rules that
/// generate steps both spell them through here, so they cannot drift apart;
/// records store them, so a change here is a change of format.
public enum LoopName {
    /// Level `level` of `loop` after a split: `i.0` is the outermost.
    public static func split(_ loop: String, level: Int) -> String { "\(loop).\(level)" }

    /// The loop a fuse makes of adjacent loops: `i.0@j.0`.
    public static func fused(_ loops: [String]) -> String { loops.joined(separator: "@") }

    /// The loops a fused loop was made of (the loop itself when it is not fused).
    public static func parts(ofFused loop: String) -> [Substring] { loop.split(separator: "@") }

    /// Whether `name` is `loop` or was split from it, at any depth (`i.0.1` from `i`).
    public static func isSplit<S: StringProtocol>(_ name: S, from loop: String) -> Bool {
        name == loop || name.hasPrefix(loop + ".")
    }

    /// The loop over blocks of a packed stage (its outermost dimension).
    public static let packBlock = "block"
    /// The loop over the elements of one block (its innermost dimension).
    public static let packLane = "lane"
    /// The loop over a deinterleaved stage's phases (its outermost dimension).
    public static let phase = "phase"
}

/// The names of the stages that steps add.
public enum StageName {
    /// The stage `cache_write` accumulates `stage` into.
    public static func local(_ stage: String) -> String { stage + localSuffix }
    /// The stage of partial results `rfactor` adds to `stage`.
    public static func rfactor(_ stage: String) -> String { stage + rfactorSuffix }
    /// The blocked copy of `tensor` that `pack` adds.
    public static func packed(_ tensor: String) -> String { tensor + packedSuffix }
    /// The copy of `tensor` split into a stride's phases that `deinterleave` adds.
    public static func phases(_ tensor: String) -> String { tensor + phasesSuffix }

    public static func isLocal(_ stage: String) -> Bool { stage.hasSuffix(localSuffix) }
    public static func isRfactor(_ stage: String) -> Bool { stage.hasSuffix(rfactorSuffix) }
    public static func isPacked(_ stage: String) -> Bool { stage.hasSuffix(packedSuffix) }

    private static let localSuffix = ".local", rfactorSuffix = ".rf", packedSuffix = ".packed", phasesSuffix = ".phases"
}
