import Foundation
import HoneIR

/// A node of the tree search: a partial candidate (none at the root, which
/// chooses the sketch), its children by the value of the next slot, and
/// what the rollouts and the measurements below it said, in standard
/// deviations (`TreeValueScale`).
final class SearchTreeNode {
    let partial: PartialCandidate?
    private(set) var children: [SearchTreeNode] = []
    private var childByValue: [[Int]: Int] = [:]
    /// Values of an enumerated slot not expanded yet.
    fileprivate var untried: [[Int]]?
    /// A sampled slot whose draws stopped finding new values.
    fileprivate var exhausted = false

    private(set) var rollouts = 0.0, rolloutSum = 0.0
    private(set) var measurements = 0.0, measuredSum = 0.0
    /// Rollouts selected in the current wave, not backed up yet (virtual visits).
    fileprivate var pending = 0.0

    init(_ partial: PartialCandidate?) { self.partial = partial }

    var visits: Double { rollouts + measurements + pending }

    /// The node's value: measured times outweigh the model's rollouts, a
    /// measurement by as much as all the rollouts together at first and
    /// more with every other one (weight m / (m + 1) for m measurements).
    var value: Double? {
        let rolled = rollouts > 0 ? rolloutSum / rollouts : nil
        guard measurements > 0 else { return rolled }
        let measured = measuredSum / measurements
        guard let rolled else { return measured }
        let weight = measurements / (measurements + 1)
        return weight * measured + (1 - weight) * rolled
    }

    func child(for value: [Int]) -> SearchTreeNode? { childByValue[value].map { children[$0] } }

    fileprivate func addChild(_ value: [Int], _ node: SearchTreeNode) -> SearchTreeNode {
        childByValue[value] = children.count
        children.append(node)
        return node
    }

    fileprivate func forEach(_ body: (SearchTreeNode) -> Void) {
        body(self)
        for child in children { child.forEach(body) }
    }

    fileprivate func record(rollout value: Double) {
        rollouts += 1
        rolloutSum += value
    }

    fileprivate func record(measurement value: Double) {
        measurements += 1
        measuredSum += value
    }

    fileprivate func fade(_ factor: Double) {
        rollouts *= factor
        rolloutSum *= factor
    }

    fileprivate func forgetMeasurements() {
        measurements = 0
        measuredSum = 0
    }
}

/// The tree over `DecisionOrder`: selection by UCT with progressive
/// widening on slots with many values, expansion of one child per
/// selection, backup of rollout and measured values.
struct SearchTree {
    let space: SearchSpace
    let order: DecisionOrder
    let root = SearchTreeNode(nil)
    /// UCT's exploration weight, in the values' standard deviations.
    var exploration = 0.7
    /// A sampled slot may have 1 + widening * sqrt(visits) children.
    var widening = 1.5

    init(space: SearchSpace) {
        self.space = space
        order = DecisionOrder(space: space)
    }

    /// The path from the root to a new leaf (or a complete candidate), its
    /// nodes given a virtual visit until `backup`.
    func select(_ rng: inout SplitMix64) -> [SearchTreeNode] {
        var node = root
        var path = [root]
        while node.partial.map({ !$0.isComplete(order) }) ?? true {
            if let child = expand(node, &rng) {
                path.append(child)
                break
            }
            guard let next = bestChild(of: node) else { break }
            node = next
            path.append(node)
        }
        for n in path { n.pending += 1 }
        return path
    }

    func backup(_ path: [SearchTreeNode], rollout value: Double) {
        for n in path {
            n.pending -= 1
            n.record(rollout: value)
        }
    }

    /// Undoes `select`'s virtual visits without a rollout.
    func abandon(_ path: [SearchTreeNode]) {
        for n in path { n.pending -= 1 }
    }

    /// The child UCT picks: value plus exploration bonus; an unvisited
    /// child is valued as its parent. Index order breaks ties.
    func bestChild(of node: SearchTreeNode) -> SearchTreeNode? {
        let parentValue = node.value ?? 0
        let logVisits = log(max(node.visits, 1) + 1)
        var best: SearchTreeNode?, bestScore = -Double.infinity
        for child in node.children {
            let score = (child.value ?? parentValue) + exploration * (logVisits / (child.visits + 1)).squareRoot()
            if score > bestScore { (best, bestScore) = (child, score) }
        }
        return best
    }

    /// A new child of `node`, if it has room for one.
    private func expand(_ node: SearchTreeNode, _ rng: inout SplitMix64) -> SearchTreeNode? {
        guard let partial = node.partial else {
            if node.untried == nil { node.untried = space.sketches.indices.reversed().map { [$0] } }
            while let value = node.untried?.popLast() {
                if node.child(for: value) == nil { return node.addChild(value, SearchTreeNode(PartialCandidate(sketch: value[0], space: space))) }
            }
            return nil
        }
        guard let slot = partial.nextSlot(order) else { return nil }
        if space.enumeratesChoices(for: slot, of: partial.sketch) {
            if node.untried == nil { node.untried = space.choices(for: slot, of: partial.sketch, limit: 0, &rng).reversed() }
            while let value = node.untried?.popLast() {
                if node.child(for: value) == nil { return node.addChild(value, SearchTreeNode(partial.deciding(value, order))) }
            }
            return nil
        }
        guard !node.exhausted, Double(node.children.count) < 1 + widening * node.visits.squareRoot() else { return nil }
        for value in space.choices(for: slot, of: partial.sketch, limit: 8, &rng) where node.child(for: value) == nil {
            return node.addChild(value, SearchTreeNode(partial.deciding(value, order)))
        }
        node.exhausted = true
        return nil
    }

    /// Backs a measured candidate's value up the path of its decisions,
    /// creating the nodes it passes (so a resumed run's tree starts where
    /// the records are).
    func addMeasurement(_ candidate: Candidate, value: Double) {
        guard space.sketches.indices.contains(candidate.sketch) else { return }
        var node = root
        node.record(measurement: value)
        var partial = PartialCandidate(sketch: candidate.sketch, space: space)
        node = node.child(for: [candidate.sketch]) ?? node.addChild([candidate.sketch], SearchTreeNode(partial))
        node.record(measurement: value)
        while let slot = partial.nextSlot(order) {
            let decision = candidate.decisions[slot]
            partial = partial.deciding(decision, order)
            node = node.child(for: decision) ?? node.addChild(decision, SearchTreeNode(partial))
            node.record(measurement: value)
        }
    }

    /// Rollouts scored by an earlier model count for less: `factor` of their weight.
    func fadeRollouts(_ factor: Double) { root.forEach { $0.fade(factor) } }

    func forgetMeasurements() { root.forEach { $0.forgetMeasurements() } }
}
