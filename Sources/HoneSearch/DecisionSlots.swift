/// Where a sketch keeps a decision, typed by what the decision holds, so a
/// plan cannot read a tile's factors where it meant a single choice.
/// `Candidate.decisions` stays `[[Int]]` (records store it); the slots are
/// its positions.

/// A tile decision: the factors of a tiled loop, outermost level first.
public struct TileSlot: Hashable, Sendable {
    public let index: Int
}

/// A decision holding one integer: an index into a stage's compute
/// locations or into the unroll steps, a parallel depth, an rfactor factor.
public struct ChoiceSlot: Hashable, Sendable {
    public let index: Int
}

/// A product of consecutive levels of a tile decision: the factor of one
/// split made from it.
struct TileFactor: Hashable, Sendable {
    var slot: TileSlot
    var levels: ClosedRange<Int>

    /// One level of the tile.
    init(_ slot: TileSlot, level: Int) {
        self.slot = slot
        levels = level...level
    }

    /// The register tile of a three-level tile: its two inner levels. A
    /// packed operand's block is the register tile of the vectorized
    /// dimension, so both are read here.
    static func registerTile(_ slot: TileSlot) -> TileFactor {
        var factor = TileFactor(slot, level: 1)
        factor.levels = 1...2
        return factor
    }
}

extension Array where Element == [Int] {
    subscript(tile slot: TileSlot) -> [Int] { self[slot.index] }
    subscript(choice slot: ChoiceSlot) -> Int { self[slot.index][0] }

    subscript(product factor: TileFactor) -> Int {
        let tile = self[factor.slot.index]
        var product = 1
        for level in factor.levels { product *= tile[level] }
        return product
    }
}
