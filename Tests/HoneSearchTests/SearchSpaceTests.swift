import Foundation
import Testing
import Hone
@testable import HoneSearch
import HoneTestSupport

/// The search space of every shipped kernel: its sketches, sampling,
/// replay and mutation.
@Suite struct SearchSpaceTests {
    @Test(arguments: ShippedKernels.names)
    func everyKernelHasSketchesWhoseCandidatesLower(name: String) throws {
        let kernel = try ShippedKernels.small(name, variant: 1)
        let space = SearchSpace(kernel: kernel, vectorLanes: 8, threads: 2)
        #expect(!space.sketches.isEmpty)
        var rng = SplitMix64(seed: 7)
        for _ in 0..<40 {
            let candidate = space.sample(&rng)
            #expect(space.isWellFormed(candidate))
            let schedule = space.schedule(for: candidate)
            #expect(throws: Never.self, "\(space.sketches[candidate.sketch].name)\n\(schedule.json())") { try lower(kernel, schedule: schedule) }
        }
    }

    @Test func gemmSpaceContainsThePackedRegisterTile() throws {
        let gemm = try ShippedKernels.load("gemm", ["M": 64, "N": 64, "K": 64])
        let space = SearchSpace(kernel: gemm, vectorLanes: 16, threads: 2)
        let names = space.sketches.map(\.name)
        #expect(names.contains("C: cache_write, vector j, pack B[1]"), "\(names)")
        #expect(names.contains("C: tiled, vector j"), "\(names)")
    }

    @Test func convolutionsCanVectorizeOutputChannels() throws {
        let conv = try ShippedKernels.load("conv2d", ["C": 8, "H": 6, "W": 6, "F": 16])
        let names = SearchSpace(kernel: conv, vectorLanes: 16).sketches.map(\.name)
        #expect(names.contains("Y: cache_write, vector f, pack Wt[0]"), "\(names)")
        #expect(names.contains("Y: cache_write, vector x"), "\(names)")
    }

    /// A matrix-vector product has no output dimension to vectorize: a
    /// sketch vectorizes each row's dot product along the reduction
    /// (rfactor), and its candidates compute what the interpreter computes.
    @Test func matrixVectorProductsVectorizeTheReduction() throws {
        let gemv = try ShippedKernels.load("gemm", ["M": 37, "N": 1, "K": 45])
        let space = SearchSpace(kernel: gemv, vectorLanes: 8, threads: 2)
        let names = space.sketches.map(\.name)
        let sketch = try #require(names.firstIndex(of: "C: rfactor k"), "\(names)")
        let compiler = try Compiler()
        var rng = SplitMix64(seed: 9)
        var checked = 0
        for trial in 0..<400 where checked < 8 {
            let candidate = space.sample(&rng)
            guard candidate.sketch == sketch else { continue }
            checked += 1
            let schedule = space.schedule(for: candidate)
            #expect(schedule.steps.contains { $0.kind == "vectorize" && $0.stage == "C.rf" }, "\(schedule.json())")
            let verification = try run(gemv, schedule, compiler: compiler, seed: UInt64(trial + 1)).verification
            #expect(verification.comparison.passed && verification.isComplete, "\(verification.summary)\n\(schedule.json())")
        }
        #expect(checked == 8)
        let gemm = try ShippedKernels.load("gemm", ["M": 37, "N": 2, "K": 45])
        #expect(!SearchSpace(kernel: gemm, vectorLanes: 8, threads: 2).sketches.contains { $0.name.contains("rfactor") })
    }

    /// A reduction without reuse whose lanes can run along its operands'
    /// rows (a pooling window, Harris's box sums) is vectorized along them,
    /// with no rfactor sketches of its 3-point axes; row reductions
    /// (softmax's maxima and sums, read across rows) keep theirs.
    @Test func windowReductionsVectorizeAlongRows() throws {
        let pool = try ShippedKernels.load("max_pool2d", ["C": 4, "H": 12, "W": 12])
        let space = SearchSpace(kernel: pool, vectorLanes: 8, threads: 2)
        #expect(space.sketches.map(\.name) == ["tiled stages"])
        var rng = SplitMix64(seed: 3)
        for _ in 0..<8 {
            let schedule = space.schedule(for: space.sample(&rng))
            #expect(schedule.steps.contains { $0.kind == "vectorize" && $0.stage == "Y" }, "\(schedule.json())")
        }
        let harris = try ShippedKernels.load("harris", ["H": 20, "W": 20])
        #expect(SearchSpace(kernel: harris, vectorLanes: 8).sketches.map(\.name) == ["tiled stages", "pipeline fused"])
        let softmax = try ShippedKernels.load("softmax", ["M": 8, "N": 64])
        #expect(SearchSpace(kernel: softmax, vectorLanes: 8).sketches.contains { $0.name.contains("rfactor") })
    }

    /// Harris's gradients have two readers each, so free placements rarely
    /// compute them beside the box sums; the fused pipeline's sketch always
    /// computes every stage per tile of the response, and each candidate
    /// still computes what the interpreter computes.
    @Test func aFusedPipelineComputesEveryStageInTheOutputsTiles() throws {
        let harris = try ShippedKernels.load("harris", ["H": 13, "W": 21])
        let space = SearchSpace(kernel: harris, vectorLanes: 8, threads: 2)
        let fused = try #require(space.sketches.firstIndex { $0.name == "pipeline fused" })
        let compiler = try Compiler()
        var rng = SplitMix64(seed: 5)
        for _ in 0..<6 {
            let schedule = space.schedule(for: space.sample(sketch: fused, &rng))
            let placed = schedule.steps.compactMap { step -> String? in
                guard case .computeAt(let stage, "response", _) = step else { return nil }
                return stage
            }
            #expect(Set(placed) == ["gray", "Ix", "Iy", "Sxx", "Syy", "Sxy"], "\(schedule.json())")
            let result = try run(harris, schedule, compiler: compiler)
            #expect(result.passed, "\(describe(harris, schedule, result))")
        }
    }

    /// The sub-pixel transposed convolution reads its weights at
    /// `(y + P) % S + S·r`: only S rows whatever y is, so they are reused
    /// along y and x and packed for a tile along the filters.
    @Test func transposedConvolutionsCanVectorizeOutputChannels() throws {
        let conv = try ShippedKernels.load("conv2d_transpose", ["C": 8, "H": 4, "W": 4, "F": 16])
        let names = SearchSpace(kernel: conv, vectorLanes: 8).sketches.map(\.name)
        #expect(names.contains("Y: cache_write, vector f, pack Wt[1]"), "\(names)")
    }

    @Test func replayingDecisionsGivesTheSameSteps() throws {
        let kernel = try ShippedKernels.small("conv2d_bias_relu", variant: 2)
        let space = SearchSpace(kernel: kernel, vectorLanes: 8, threads: 2)
        var a = SplitMix64(seed: 3), b = SplitMix64(seed: 3)
        for _ in 0..<20 {
            let first = space.sample(&a), second = space.sample(&b)
            #expect(first == second)
            #expect(space.schedule(for: first) == space.schedule(for: second))
        }
    }

    @Test(arguments: ["gemm", "conv2d", "softmax", "layernorm"])
    func aMutationChangesExactlyOneDecision(name: String) throws {
        let kernel = try ShippedKernels.small(name, variant: 0)
        let space = SearchSpace(kernel: kernel, vectorLanes: 8, threads: 2)
        var rng = SplitMix64(seed: 11)
        var mutated = 0
        for _ in 0..<200 {
            let candidate = space.sample(&rng)
            guard let child = space.mutate(candidate, &rng) else { continue }
            mutated += 1
            #expect(child.sketch == candidate.sketch)
            #expect(zip(child.decisions, candidate.decisions).filter { $0 != $1 }.count == 1)
            #expect(space.isWellFormed(child))
        }
        #expect(mutated > 150)
    }

    /// Sampled and mutated candidates of every sketch compute what the interpreter computes.
    @Test(arguments: ShippedKernels.names)
    func sampledAndMutatedCandidatesAreCorrect(name: String) throws {
        let compiler = try Compiler()
        var rng = SplitMix64(seed: stableHash(name))
        for variant in 0..<2 {
            let kernel = try ShippedKernels.small(name, variant: variant)
            let space = SearchSpace(kernel: kernel, vectorLanes: 8, threads: 2)
            for trial in 0..<12 {
                var candidate = space.sample(&rng)
                if trial % 2 == 1, let child = space.mutate(candidate, &rng) { candidate = child }
                let schedule = space.schedule(for: candidate)
                let verification = try run(kernel, schedule, compiler: compiler, seed: UInt64(trial + 1)).verification
                #expect(verification.comparison.passed && verification.isComplete,
                        "\(kernel.name) \(kernel.parameters): \(verification.summary)\n\(space.sketches[candidate.sketch].name)\n\(schedule.json())")
            }
        }
    }
}
