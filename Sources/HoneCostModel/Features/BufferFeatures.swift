import HoneIR

extension FeatureExtractor {
    /// The second pass: per loop, the bytes all its stores touch (in the
    /// whole loop and in one iteration) and, per buffer, how many of its
    /// stores touch it; then each store's reuse per buffer and its top-5
    /// buffer slots, sorted by lines, then bytes.
    mutating func finishBufferFeatures() {
        let loops = loopExtents.count, buffers = self.buffers.count
        loopTotalBytes.removeAll(keepingCapacity: true)
        loopTotalBytes.append(contentsOf: repeatElement(0, count: loops))
        loopIterationBytes.removeAll(keepingCapacity: true)
        loopIterationBytes.append(contentsOf: repeatElement(0, count: loops))
        loopBufferStores.removeAll(keepingCapacity: true)
        loopBufferStores.append(contentsOf: repeatElement(0, count: loops * buffers))
        loopBufferMinTouched.removeAll(keepingCapacity: true)
        loopBufferMinTouched.append(contentsOf: repeatElement(.infinity, count: loops * buffers))
        for t in touches {
            let loop = Int(t.loop)
            loopTotalBytes[loop] += t.here * t.elementBytes
            loopIterationBytes[loop] += t.inner * t.elementBytes
            let cell = loop * buffers + Int(t.buffer)
            loopBufferStores[cell] += 1
            loopBufferMinTouched[cell] = min(loopBufferMinTouched[cell], t.here)
        }

        storeGroupStart.append(groupRecords.count)
        storeLoopStart.append(storeLoops.count)
        for s in storeRows.indices {
            let groups = storeGroupStart[s]..<storeGroupStart[s + 1]
            let loopStart = storeLoopStart[s], depth = storeLoopStart[s + 1] - loopStart
            // Top buffers: lines, then bytes, descending (insertion sort of a handful).
            slotOrder.removeAll(keepingCapacity: true)
            for g in groups {
                var i = slotOrder.count
                slotOrder.append(g)
                while i > 0 && ranksBefore(g, slotOrder[i - 1]) {
                    slotOrder[i] = slotOrder[i - 1]
                    i -= 1
                }
                slotOrder[i] = g
            }
            for slot in 0..<min(slotOrder.count, FeatureSchema.bufferSlots) {
                let record = groupRecords[slotOrder[slot]]
                let reuse = self.reuse(record, loopStart: loopStart, depth: depth, buffers: buffers)
                writeSlot(slot, record, reuse)
            }
        }
    }

    private func ranksBefore(_ a: Int, _ b: Int) -> Bool {
        let (x, y) = (groupRecords[a], groupRecords[b])
        return x.lines > y.lines || (x.lines == y.lines && x.bytes > y.bytes)
    }

    /// Ansor's reuse analysis. Walking out from the innermost loop: a loop
    /// that does not move the buffer's address reuses what the loops inside
    /// it touched (`loop_read`: distance = iterations of those loops, count =
    /// its extent); a loop that does, but whose stores touch the buffer more
    /// than once, reuses it between them (`serial_rw`).
    private func reuse(_ record: GroupRecord, loopStart: Int, depth: Int, buffers: Int) -> Reuse {
        var distance = 1.0
        var level = depth - 1
        while level >= 0 {
            let loop = Int(storeLoops[loopStart + level])
            let extent = loopExtents[loop]
            if record.mask & levelBit(level) == 0 {
                return Reuse(type: 0, iterations: distance, bytes: loopIterationBytes[loop], count: extent)
            }
            distance *= extent
            let cell = loop * buffers + Int(record.buffer)
            let stores = loopBufferStores[cell]
            if stores > 1 {
                return Reuse(type: 1, iterations: loopBufferMinTouched[cell] / extent,
                             bytes: loopTotalBytes[loop] / extent, count: Double(stores - 1))
            }
            level -= 1
        }
        return Reuse(type: 2, iterations: 0, bytes: 0, count: 0)
    }

    private mutating func writeSlot(_ slot: Int, _ r: GroupRecord, _ reuse: Reuse) {
        let base = r.row + FeatureSchema.bufferOffset + slot * FeatureSchema.bufferFeatureCount
        rows[base + r.kind.column] = 1
        rows[base + 3] = slog(r.bytes)
        rows[base + 4] = slog(r.uniqueBytes)
        rows[base + 5] = slog(r.lines)
        rows[base + 6] = slog(r.uniqueLines)
        rows[base + 7 + reuse.type] = 1
        rows[base + 10] = slog(reuse.iterations)
        rows[base + 11] = slog(reuse.bytes)
        rows[base + 12] = slog(reuse.count)
        let divisor = reuse.count > 0.5 ? reuse.count : 0.5  // no reuse: × 2, as Ansor
        rows[base + 13] = slog(r.bytes / divisor)
        rows[base + 14] = slog(r.uniqueBytes / divisor)
        rows[base + 15] = slog(r.lines / divisor)
        rows[base + 16] = slog(r.uniqueLines / divisor)
        rows[base + 17] = slog(r.stride)
    }
}

struct Reuse {
    /// 0 loop_read, 1 serial_rw, 2 none.
    var type: Int
    var iterations: Double
    var bytes: Double
    var count: Double
}
