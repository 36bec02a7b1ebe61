import HoneIR

// The second pass: the buffer slots of every row. A store's reuse of a
// buffer depends on what the other stores in its loops touch, so the first
// pass only records the measures below.

/// A store, as the first pass left it.
struct StoreRecord {
    /// Where its row starts in `rows`.
    var row: Int
    /// Its loops' ids in `storeLoopIDs`, outermost first.
    var loops: Range<Int>
    /// Its traffic per buffer in `traffic`.
    var traffic: Range<Int>
}

/// A store's traffic to one buffer: the first pass's measures of the store's
/// accesses to it, once every loop varies.
struct BufferTraffic {
    var buffer: Int32
    var kind: AccessKind
    var bytes: Double
    var uniqueBytes: Double
    var lines: Double
    var uniqueLines: Double
    var stride: Double
    /// The loop levels its address depends on.
    var levels: UInt64
}

/// Elements of `buffer` one store touches in a whole run of `loop`, and in
/// one iteration of it.
struct Touch {
    var loop: Int32
    var buffer: Int32
    var elements: Double
    var elementsPerIteration: Double
    var elementBytes: Double
}

/// A loop of the nest: its extent and (summed by the second pass) the bytes
/// all its stores touch, in a whole run and in one iteration.
struct NestLoop {
    var extent: Double
    var bytes: Double
    var bytesPerIteration: Double
}

/// The stores in one loop that touch one buffer.
struct LoopBufferTouches {
    var stores: Int32
    /// The fewest elements one of them touches in a whole run of the loop.
    var fewestElements: Double
}

/// Ansor's reuse of a buffer by a store (the `reuse` columns).
struct Reuse {
    /// In the order of the `reuse.{loop_read, serial_rw, none}` columns.
    enum Kind: Int {
        case loopRead, serialReadWrite, none
    }

    var kind: Kind
    var iterations: Double
    var bytes: Double
    var count: Double
}

extension FeatureExtractor {
    /// Sums the touches per loop and per loop and buffer, then fills each
    /// store's top-5 buffer slots, sorted by lines, then bytes.
    mutating func finishBufferFeatures() {
        let bufferCount = buffers.count
        loopBufferTouches.removeAll(keepingCapacity: true)
        loopBufferTouches.append(contentsOf: repeatElement(LoopBufferTouches(stores: 0, fewestElements: .infinity),
                                                           count: nestLoops.count * bufferCount))
        for t in touches {
            let loop = Int(t.loop)
            nestLoops[loop].bytes += t.elements * t.elementBytes
            nestLoops[loop].bytesPerIteration += t.elementsPerIteration * t.elementBytes
            let cell = loop * bufferCount + Int(t.buffer)
            loopBufferTouches[cell].stores += 1
            loopBufferTouches[cell].fewestElements = min(loopBufferTouches[cell].fewestElements, t.elements)
        }

        for store in stores {
            // Lines, then bytes, descending (insertion sort of a handful).
            slotOrder.removeAll(keepingCapacity: true)
            for r in store.traffic {
                var i = slotOrder.count
                slotOrder.append(r)
                while i > 0 && ranksBefore(r, slotOrder[i - 1]) {
                    slotOrder[i] = slotOrder[i - 1]
                    i -= 1
                }
                slotOrder[i] = r
            }
            for slot in 0..<min(slotOrder.count, FeatureSchema.bufferSlots) {
                let r = slotOrder[slot]
                writeSlot(slot, row: store.row, traffic[r], reuse(traffic[r], loops: store.loops, bufferCount: bufferCount))
            }
        }
    }

    private func ranksBefore(_ a: Int, _ b: Int) -> Bool {
        let (x, y) = (traffic[a], traffic[b])
        return x.lines > y.lines || (x.lines == y.lines && x.bytes > y.bytes)
    }

    /// Ansor's reuse analysis. Walking out from the innermost loop: a loop
    /// that does not move the buffer's address reuses what the loops inside
    /// it touched (`loop_read`: distance = iterations of those loops, count =
    /// its extent); a loop that does, but whose stores touch the buffer more
    /// than once, reuses it between them (`serial_rw`).
    private func reuse(_ t: BufferTraffic, loops: Range<Int>, bufferCount: Int) -> Reuse {
        var distance = 1.0
        var level = loops.count - 1
        while level >= 0 {
            let loop = Int(storeLoopIDs[loops.lowerBound + level])
            let extent = nestLoops[loop].extent
            if t.levels & levelBit(level) == 0 {
                return Reuse(kind: .loopRead, iterations: distance, bytes: nestLoops[loop].bytesPerIteration, count: extent)
            }
            distance *= extent
            let cell = loopBufferTouches[loop * bufferCount + Int(t.buffer)]
            if cell.stores > 1 {
                return Reuse(kind: .serialReadWrite, iterations: cell.fewestElements / extent,
                             bytes: nestLoops[loop].bytes / extent, count: Double(cell.stores - 1))
            }
            level -= 1
        }
        return Reuse(kind: .none, iterations: 0, bytes: 0, count: 0)
    }

    private mutating func writeSlot(_ slot: Int, row: Int, _ t: BufferTraffic, _ reuse: Reuse) {
        let base = row + FeatureSchema.bufferOffset + slot * FeatureSchema.bufferFeatureCount
        rows[base + t.kind.column] = 1
        rows[base + 3] = slog(t.bytes)
        rows[base + 4] = slog(t.uniqueBytes)
        rows[base + 5] = slog(t.lines)
        rows[base + 6] = slog(t.uniqueLines)
        rows[base + 7 + reuse.kind.rawValue] = 1
        rows[base + 10] = slog(reuse.iterations)
        rows[base + 11] = slog(reuse.bytes)
        rows[base + 12] = slog(reuse.count)
        let divisor = reuse.count > 0.5 ? reuse.count : 0.5  // no reuse: × 2, as Ansor
        rows[base + 13] = slog(t.bytes / divisor)
        rows[base + 14] = slog(t.uniqueBytes / divisor)
        rows[base + 15] = slog(t.lines / divisor)
        rows[base + 16] = slog(t.uniqueLines / divisor)
        rows[base + 17] = slog(t.stride)
    }
}
