import HoneIR

/// Grows one tree from gradients on the binned rows: depth-wise (a level at
/// a time, XGBoost's `hist`) or best-first (the leaf of highest gain next,
/// LightGBM's leaf-wise growth) when `maxLeaves` is set.
///
/// For each split, the histogram (sums of gradient and hessian per bin) of
/// the smaller child is built from its rows and the larger child's is the
/// parent's minus the smaller's (the subtraction trick: a level reads at
/// most half of its rows). Histograms are built, completed and scanned for
/// the best split per feature block, one block per task, so tasks never
/// share a bin; the per-block winners are merged in feature order, which
/// makes the tree independent of the number of threads. The rows of a node
/// are a segment of `rowIndex`, partitioned stably when it splits.
final class TreeBuilder: @unchecked Sendable {
    /// The grown tree, plus what the booster needs to update training scores.
    struct Grown {
        var tree: RegressionTree
        /// Per node: the split as a bin test (`bin > binThreshold` goes right).
        var binThreshold: [Int32]
        /// Leaves with their segments of `rowIndex` (the sampled rows they hold).
        var leaves: [(node: Int, begin: Int, end: Int)]
    }

    let matrix: BinnedMatrix
    let maxDepth: Int
    /// nil: depth-wise growth; otherwise best-first, up to this many leaves.
    let maxLeaves: Int?
    let lambda: Double
    let minChildWeight: Double
    let minSplitGain: Double
    let learningRate: Double
    let runner: ParallelRunner

    /// Row ids of the current tree's sampled rows, grouped by node.
    let rowIndex: UnsafeMutableBufferPointer<Int32>
    private let rowScratch: UnsafeMutableBufferPointer<Int32>
    /// Histograms kept across a level (for the subtraction), and one scratch
    /// histogram for nodes whose histogram is needed only for their own split.
    private var buffers: [UnsafeMutablePointer<SIMD2<Double>>] = []
    private var freeBuffers: [Int] = []
    private let maxBuffers: Int
    /// Mean number of sparse entries per row (all blocks): a unit of work.
    private let entriesPerRow: Int
    private let scratch: UnsafeMutablePointer<SIMD2<Double>>
    /// One slot per block for the running best of a split scan (see bestSplit).
    private let bestSlots: UnsafeMutablePointer<BestSlot>

    init(matrix: BinnedMatrix, parameters p: GradientBoostingParameters, runner: ParallelRunner) {
        self.matrix = matrix
        maxDepth = p.maxDepth
        maxLeaves = p.maxLeaves
        lambda = p.lambda
        minChildWeight = p.minChildWeight
        minSplitGain = p.minSplitGain
        learningRate = p.learningRate
        self.runner = runner
        rowIndex = .allocate(capacity: max(1, matrix.rowCount))
        rowScratch = .allocate(capacity: max(1, matrix.rowCount))
        scratch = .allocate(capacity: matrix.totalBins)
        bestSlots = .allocate(capacity: matrix.blocks.count * 8)  // 8 apart: no false sharing
        let budget = 256 << 20  // bytes of kept histograms
        maxBuffers = max(2, min(1 << min(maxDepth, 20), budget / max(1, matrix.totalBins * 16)))
        entriesPerRow = matrix.blocks.reduce(0) { $0 + Int($1.rowStart[matrix.rowCount]) } / max(1, matrix.rowCount)
    }

    deinit {
        rowIndex.deallocate()
        rowScratch.deallocate()
        scratch.deallocate()
        bestSlots.deallocate()
        for b in buffers { b.deallocate() }
    }

    private struct Node {
        var begin: Int, end: Int
        var g: Double, h: Double
        var depth: Int
        var treeIndex: Int
        var buffer = -1
        /// The best split, once its histogram has been scanned (nil: a leaf).
        var split: Candidate? = nil
        var gain = 0.0
    }

    /// Histogram work for one node built from its rows, optionally followed
    /// by deriving its sibling from the parent's histogram.
    private struct Task {
        var target: Int
        var targetBuffer: Int  // -1: the scratch histogram
        var findTarget: Bool
        var sibling = -1
        var parentBuffer = -1
        var findSibling = false
    }

    private struct Candidate {
        var score = -Double.infinity  // G_L^2/(H_L+lambda) + G_R^2/(H_R+lambda)
        var feature = -1
        var bin = 0
        var leftG = 0.0, leftH = 0.0
    }

    /// Grows a tree on the first `sampledCount` entries of `rowIndex` (the
    /// caller fills them, ascending) with per-row (gradient, hessian).
    ///
    /// The loop: find the best split of the new nodes (histograms, in
    /// parallel over feature blocks), choose which open nodes to split (all
    /// of them, depth-wise; the one of highest gain, leaf-wise), partition
    /// their rows, and schedule their children's histograms.
    func grow(gradients: UnsafePointer<SIMD2<Float>>, sampledCount: Int, allowedFeatures: [Bool]) -> Grown {
        var feature: [Int32] = [], threshold: [Float] = [], left: [Int32] = [], right: [Int32] = []
        var value: [Float] = [], binThreshold: [Int32] = []
        func newNode() -> Int {
            feature.append(-1); threshold.append(0); left.append(-1); right.append(-1); value.append(0); binThreshold.append(0)
            return feature.count - 1
        }
        var leaves: [(node: Int, begin: Int, end: Int)] = []
        func finish(_ node: Node) {
            let denominator = node.h + lambda  // 0 only for an empty node with lambda 0
            value[node.treeIndex] = denominator > 0 ? Float(-node.g / denominator * learningRate) : 0
            leaves.append((node.treeIndex, node.begin, node.end))
            if node.buffer >= 0 { freeBuffers.append(node.buffer) }
        }

        var g = 0.0, h = 0.0
        for k in 0..<sampledCount {
            let v = gradients[Int(rowIndex[k])]
            g += Double(v.x)
            h += Double(v.y)
        }
        var fresh = [Node(begin: 0, end: sampledCount, g: g, h: h, depth: 0, treeIndex: newNode())]
        var tasks: [Task] = []
        if canSplit(fresh[0]) {
            fresh[0].buffer = (needsKeptHistogram(fresh[0]) ? allocate() : nil) ?? -1
            tasks.append(Task(target: 0, targetBuffer: fresh[0].buffer, findTarget: true))
        }
        var open: [Node] = []  // nodes whose best split is known, not yet split or finished
        var leafCount = 1

        while true {
            // 1. The best split of each fresh node.
            let blocks = matrix.blocks.count
            var candidates = [Candidate](repeating: Candidate(), count: fresh.count * blocks)
            if !tasks.isEmpty {
                let nodes = fresh, work = tasks
                // Waking a sleeping worker costs tens of microseconds: small
                // jobs (late splits of leaf-wise growth) run on this thread.
                let rows = work.reduce(0) { $0 + nodes[$1.target].end - nodes[$1.target].begin }
                let scans = work.reduce(0) { $0 + ($1.findTarget ? 1 : 0) + ($1.findSibling ? 1 : 0) }
                let parallel = rows * entriesPerRow + scans * matrix.totalBins * 2 >= 200_000
                candidates.withUnsafeMutableBufferPointer { out in
                    let out = UncheckedSendable(out)
                    runner.run(tasks: blocks, parallel: parallel) { b in
                        self.process(work, nodes: nodes, block: b, gradients: gradients, allowed: allowedFeatures, candidates: out.value)
                    }
                }
            }
            for i in fresh.indices {
                var best = Candidate()
                for b in 0..<blocks where candidates[i * blocks + b].score > best.score { best = candidates[i * blocks + b] }
                let gain = best.score - fresh[i].g * fresh[i].g / (fresh[i].h + lambda)
                if best.feature >= 0 && gain > max(minSplitGain, 1e-6) {
                    fresh[i].split = best
                    fresh[i].gain = gain
                }
            }
            open += fresh

            // 2. Which nodes to split now.
            var chosen: [Node] = []
            if let maxLeaves {
                var pick = -1
                for i in open.indices where open[i].split != nil && (pick < 0 || open[i].gain > open[pick].gain) { pick = i }
                if pick >= 0 && leafCount < maxLeaves { chosen = [open.remove(at: pick)] }
            } else {
                for node in open { if node.split != nil { chosen.append(node) } else { finish(node) } }
                open = []
            }
            if chosen.isEmpty { break }

            // 3. Split them: partition rows (nodes own disjoint segments, so in
            // parallel), create the children.
            var mids = [Int](repeating: 0, count: chosen.count)
            mids.withUnsafeMutableBufferPointer { mids in
                let out = UncheckedSendable(mids), nodes = chosen
                let tasks = nodes.count > 1 && nodes.last!.end - nodes.first!.begin > 4096 ? nodes.count : 0
                runner.run(tasks: tasks) { i in
                    let split = nodes[i].split!
                    out.value[i] = self.partition(nodes[i].begin..<nodes[i].end, feature: split.feature, bin: split.bin)
                }
                if tasks == 0 {
                    for (i, node) in nodes.enumerated() {
                        out.value[i] = partition(node.begin..<node.end, feature: node.split!.feature, bin: node.split!.bin)
                    }
                }
            }
            fresh = []
            var pairs: [(parent: Int, left: Int, right: Int)] = []
            for (p, node) in chosen.enumerated() {
                let best = node.split!
                let f = best.feature
                feature[node.treeIndex] = Int32(f)
                threshold[node.treeIndex] = matrix.cuts[f][best.bin]
                binThreshold[node.treeIndex] = Int32(best.bin)
                let mid = mids[p]
                let l = newNode(), r = newNode()
                left[node.treeIndex] = Int32(l)
                right[node.treeIndex] = Int32(r)
                fresh.append(Node(begin: node.begin, end: mid, g: best.leftG, h: best.leftH, depth: node.depth + 1, treeIndex: l))
                fresh.append(Node(begin: mid, end: node.end, g: node.g - best.leftG, h: node.h - best.leftH,
                                  depth: node.depth + 1, treeIndex: r))
                pairs.append((p, fresh.count - 2, fresh.count - 1))
                leafCount += 1
            }

            // 4. Their histograms: the larger child inherits its parent's
            // buffer (it becomes parent minus smaller); the parents' other
            // buffers are freed before the smaller children take theirs.
            tasks = []
            var pending: [(task: Task, node: Int)] = []
            for (p, l, r) in pairs {
                if !canSplit(fresh[l]) && !canSplit(fresh[r]) { continue }
                let (small, large) = fresh[l].end - fresh[l].begin <= fresh[r].end - fresh[r].begin ? (l, r) : (r, l)
                let parentBuffer = chosen[p].buffer
                if parentBuffer >= 0 && canSplit(fresh[large]) {
                    chosen[p].buffer = -1
                    fresh[large].buffer = parentBuffer
                    pending.append((Task(target: small, targetBuffer: -1, findTarget: canSplit(fresh[small]),
                                         sibling: large, parentBuffer: parentBuffer, findSibling: true), small))
                } else {
                    for c in [l, r] where canSplit(fresh[c]) {
                        pending.append((Task(target: c, targetBuffer: -1, findTarget: true), c))
                    }
                }
            }
            for node in chosen where node.buffer >= 0 { freeBuffers.append(node.buffer) }
            for (var task, c) in pending {
                if task.findTarget, needsKeptHistogram(fresh[c]), let b = allocate() {
                    fresh[c].buffer = b
                    task.targetBuffer = b
                }
                tasks.append(task)
            }
        }
        for node in open { finish(node) }
        let tree = RegressionTree(feature: feature, threshold: threshold, left: left, right: right, value: value)
        return Grown(tree: tree, binThreshold: binThreshold, leaves: leaves)
    }

    private func canSplit(_ node: Node) -> Bool {
        node.depth < maxDepth && node.end - node.begin >= 2 && node.h >= 2 * minChildWeight && node.h > 0
    }

    /// Kept histograms serve the subtraction at the next level, which only
    /// happens if this node's children can split too.
    private func needsKeptHistogram(_ node: Node) -> Bool { node.depth + 1 < maxDepth }

    private func allocate() -> Int? {
        if let b = freeBuffers.popLast() { return b }
        guard buffers.count < maxBuffers else { return nil }
        buffers.append(.allocate(capacity: matrix.totalBins))
        return buffers.count - 1
    }

    /// Stable partition of a node's rows: bin <= `bin` first. Returns the
    /// split point. Touches only the node's segment (of both row buffers).
    private func partition(_ range: Range<Int>, feature f: Int, bin: Int) -> Int {
        let column = matrix.columns.baseAddress! + f * matrix.rowCount
        let t = UInt8(bin)
        let rows = rowIndex.baseAddress!, right = rowScratch.baseAddress! + range.lowerBound
        var l = range.lowerBound, r = 0
        for k in range {
            let row = rows[k]
            if column[Int(row)] <= t { rows[l] = row; l += 1 } else { right[r] = row; r += 1 }
        }
        (rows + l).update(from: right, count: r)
        return l
    }

    /// All of a level's histogram work restricted to one feature block.
    private func process(_ tasks: [Task], nodes: [Node], block b: Int, gradients: UnsafePointer<SIMD2<Float>>,
                         allowed: [Bool], candidates: UnsafeMutableBufferPointer<Candidate>) {
        let block = matrix.blocks[b]
        let blockCount = matrix.blocks.count
        for task in tasks {
            let target = nodes[task.target]
            let hist = task.targetBuffer >= 0 ? buffers[task.targetBuffer] : scratch
            let local = hist + block.binBase
            local.initialize(repeating: SIMD2(0, 0), count: block.binCount)
            accumulate(into: local, block: block, rows: target.begin..<target.end, gradients: gradients)
            completeDefaultBins(hist, block: block, g: target.g, h: target.h)
            if task.sibling >= 0 {
                let parent = buffers[task.parentBuffer] + block.binBase
                for j in 0..<block.binCount { parent[j] -= local[j] }
                if task.findSibling {
                    let s = nodes[task.sibling]
                    candidates[task.sibling * blockCount + b] = bestSplit(buffers[task.parentBuffer], block: block, slot: bestSlots + 8 * b, g: s.g, h: s.h, allowed: allowed)
                }
            }
            if task.findTarget {
                candidates[task.target * blockCount + b] = bestSplit(hist, block: block, slot: bestSlots + 8 * b, g: target.g, h: target.h, allowed: allowed)
            }
        }
    }

    /// The hot loop: for each row of the node, add its (g, h) to the bin of
    /// every non-default feature value in the block.
    private func accumulate(into hist: UnsafeMutablePointer<SIMD2<Double>>, block: FeatureBlock, rows: Range<Int>,
                            gradients: UnsafePointer<SIMD2<Float>>) {
        let rowStart = block.rowStart.baseAddress!
        let entries = block.entries.baseAddress!
        let index = rowIndex.baseAddress!
        for k in rows {
            let r = Int(index[k])
            let v = SIMD2<Double>(gradients[r])
            var j = Int(rowStart[r])
            let end = Int(rowStart[r + 1])
            while j + 4 <= end {
                let e0 = Int(entries[j]), e1 = Int(entries[j + 1]), e2 = Int(entries[j + 2]), e3 = Int(entries[j + 3])
                hist[e0] += v
                hist[e1] += v
                hist[e2] += v
                hist[e3] += v
                j += 4
            }
            while j < end {
                hist[Int(entries[j])] += v
                j += 1
            }
        }
    }

    /// A default bin's sums = node totals minus the feature's other bins.
    private func completeDefaultBins(_ hist: UnsafeMutablePointer<SIMD2<Double>>, block: FeatureBlock, g: Double, h: Double) {
        for f in block.features {
            let bins = hist + matrix.binOffset[f]
            var sum = SIMD2<Double>(0, 0)
            for b in 0..<matrix.binCount[f] { sum += bins[b] }
            bins[matrix.defaultBin[f]] = SIMD2(g, h) - sum
        }
    }

    private struct BestSlot { var num = -1.0, den = 1.0, g = 0.0, h = 0.0, bin = -1 }

    /// The best split among the block's allowed features, by the XGBoost
    /// score G_L^2/(H_L+lambda) + G_R^2/(H_R+lambda); both children need at
    /// least `minChildWeight` of hessian (and more than rounding noise).
    ///
    /// The scan is the second-hottest loop. It compares fractions cross-
    /// multiplied (no division; equal scores compare equal, so ties keep the
    /// lowest bin), and keeps the running best in memory (`slot`), not in
    /// registers: the compiler then keeps the rare update a branch instead of
    /// a chain of selects that serializes every bin on the previous one.
    private func bestSplit(_ hist: UnsafeMutablePointer<SIMD2<Double>>, block: FeatureBlock, slot: UnsafeMutablePointer<BestSlot>,
                           g: Double, h: Double, allowed: [Bool]) -> Candidate {
        var best = Candidate()
        let minHessian = max(minChildWeight, h * 1e-9)
        let lambda = self.lambda
        for f in block.features where allowed[f] {
            let bins = hist + matrix.binOffset[f]
            let count = matrix.binCount[f]
            var sum = SIMD2<Double>(0, 0)
            slot.pointee = BestSlot()
            for b in 0..<count - 1 {
                sum += bins[b]
                let gl = sum.x, hl = sum.y
                if hl < minHessian { continue }
                let hr = h - hl
                if hr < minHessian { break }
                let gr = g - gl
                let dl = hl + lambda, dr = hr + lambda
                let num = gl * gl * dr + gr * gr * dl, den = dl * dr
                if num * slot.pointee.den > slot.pointee.num * den {
                    slot.pointee = BestSlot(num: num, den: den, g: gl, h: hl, bin: b)
                }
            }
            let here = slot.pointee
            if here.bin >= 0 {
                let score = here.num / here.den
                if score > best.score {
                    best = Candidate(score: score, feature: f, bin: here.bin, leftG: here.g, leftH: here.h)
                }
            }
        }
        return best
    }
}
