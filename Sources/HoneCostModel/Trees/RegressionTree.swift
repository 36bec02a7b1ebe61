import HoneIR

/// One regression tree in flat arrays; node 0 is the root.
///
/// A row goes to `right[i]` when `row[feature[i]] > threshold[i]` and to
/// `left[i]` otherwise (so NaN goes left). Leaves have `feature == -1` and
/// children -1; their `value` already includes the learning rate.
public struct RegressionTree: Codable, Hashable, Sendable {
    public var feature: [Int32]
    public var threshold: [Float]
    public var left: [Int32]
    public var right: [Int32]
    public var value: [Float]

    public init(feature: [Int32], threshold: [Float], left: [Int32], right: [Int32], value: [Float]) {
        self.feature = feature
        self.threshold = threshold
        self.left = left
        self.right = right
        self.value = value
    }

    /// A tree that is a single leaf.
    public static func leaf(_ value: Float) -> RegressionTree {
        RegressionTree(feature: [-1], threshold: [0], left: [-1], right: [-1], value: [value])
    }

    public var nodeCount: Int { feature.count }
    public func isLeaf(_ node: Int) -> Bool { feature[node] < 0 }

    /// Edges on the longest root-to-leaf path.
    public var depth: Int {
        var deepest = 0
        var stack = [(0, 0)]
        while let (node, d) = stack.popLast() {
            if isLeaf(node) { deepest = max(deepest, d) } else {
                stack.append((Int(left[node]), d + 1))
                stack.append((Int(right[node]), d + 1))
            }
        }
        return deepest
    }

    /// The leaf value this row reaches (the plain, one-row walk).
    public func predict(_ row: [Float]) -> Float {
        var node = 0
        while !isLeaf(node) {
            node = Int(row[Int(feature[node])] > threshold[node] ? right[node] : left[node])
        }
        return value[node]
    }

    /// Rejects trees that would crash or loop at prediction: every node
    /// reachable once from the root, children in range, features in range.
    func validate(featureCount: Int, name: String) throws {
        let n = feature.count
        guard n > 0, threshold.count == n, left.count == n, right.count == n, value.count == n else {
            throw HoneError("\(name): node arrays are empty or of different lengths")
        }
        var seen = [Bool](repeating: false, count: n)
        var stack = [0]
        seen[0] = true
        while let node = stack.popLast() {
            let f = Int(feature[node])
            if f < 0 {
                guard value[node].isFinite else { throw HoneError("\(name): leaf \(node) has a non-finite value") }
                continue
            }
            guard f < featureCount else {
                throw HoneError("\(name): node \(node) splits on feature \(f), but rows have \(featureCount) features")
            }
            for child in [Int(left[node]), Int(right[node])] {
                guard child > 0, child < n, !seen[child] else {
                    throw HoneError("\(name): node \(node) has an invalid child \(child)")
                }
                seen[child] = true
                stack.append(child)
            }
        }
    }
}

/// All trees of a model packed for fast batch prediction.
///
/// Nodes are renumbered breadth-first so that the children of a node are
/// adjacent: a step is `node = left + (x > threshold)`, with no load of the
/// child that depends on the comparison. Every tree is walked for exactly
/// its depth: a leaf is its own left child and its test (`x > +inf`) is
/// always false, so there is no data-dependent exit. A block of rows goes
/// through one tree at a time, one level at a time, so the CPU overlaps the
/// dependent loads of different rows. Scores are summed in tree order, so a
/// batch gives exactly the single-row result.
struct PackedForest: Sendable {
    struct Node {
        var feature: Int32
        var threshold: Float
        var left: Int32
    }

    private(set) var nodes: [Node] = []
    private(set) var values: [Float] = []
    private(set) var roots: [Int32] = []
    private(set) var depths: [Int32] = []

    init(trees: [RegressionTree]) {
        for tree in trees { append(tree) }
    }

    mutating func append(_ tree: RegressionTree) {
        let base = nodes.count
        roots.append(Int32(base))
        depths.append(Int32(tree.depth))
        // Breadth-first: order[k] is the original index of packed node base + k.
        var order = [0]
        var packedIndex = [Int](repeating: -1, count: tree.nodeCount)
        packedIndex[0] = 0
        var k = 0
        while k < order.count {
            let i = order[k]
            if !tree.isLeaf(i) {
                for child in [Int(tree.left[i]), Int(tree.right[i])] {
                    packedIndex[child] = order.count
                    order.append(child)
                }
            }
            k += 1
        }
        for (k, i) in order.enumerated() {
            if tree.isLeaf(i) {
                nodes.append(Node(feature: 0, threshold: .infinity, left: Int32(base + k)))
                values.append(tree.value[i])
            } else {
                nodes.append(Node(feature: tree.feature[i], threshold: tree.threshold[i],
                                  left: Int32(base + packedIndex[Int(tree.left[i])])))
                values.append(0)
            }
        }
    }

    /// `out[r] = base + sum over trees` for `count` rows of `stride` floats.
    func predict(rows: UnsafePointer<Float>, count: Int, stride: Int, base: Float, into out: UnsafeMutablePointer<Float>) {
        let blockSize = 64
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: blockSize) { index in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: blockSize) { sum in
                nodes.withUnsafeBufferPointer { nodes in
                    values.withUnsafeBufferPointer { values in
                        let nodes = nodes.baseAddress!, values = values.baseAddress!
                        var start = 0
                        while start < count {
                            let m = min(blockSize, count - start)
                            let block = rows + start * stride
                            for i in 0..<m { sum[i] = base }
                            for t in 0..<roots.count {
                                let root = roots[t]
                                for i in 0..<m { index[i] = root }
                                for _ in 0..<depths[t] {
                                    var row = block
                                    for i in 0..<m {
                                        let node = nodes[Int(index[i])]
                                        index[i] = node.left &+ (row[Int(node.feature)] > node.threshold ? 1 : 0)
                                        row += stride
                                    }
                                }
                                for i in 0..<m { sum[i] += values[Int(index[i])] }
                            }
                            for i in 0..<m { out[start + i] = sum[i] }
                            start += m
                        }
                    }
                }
            }
        }
    }
}
