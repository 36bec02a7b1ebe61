import Testing
import HoneIR

private typealias K = InterpTestKernels

@Suite("Verification")
struct VerificationTests {
    @Test func makeInputsIsDeterministicAndInRange() {
        let kernel = Kernel(
            name: "mixed",
            tensors: [TensorDecl(name: "F", role: .input, type: .f32, shape: [64, 64]),
                      TensorDecl(name: "D", role: .input, type: .f64, shape: [1000]),
                      TensorDecl(name: "N", role: .input, type: .i32, shape: [2000]),
                      TensorDecl(name: "Q", role: .input, type: .bool, shape: [100]),
                      TensorDecl(name: "out", role: .output, type: .f32, shape: [1])],
            stages: [Stage(name: "out", indexVariables: ["i"], value: K.f32(0))])
        let a = makeInputs(for: kernel, seed: 3)
        #expect(a == makeInputs(for: kernel, seed: 3))
        #expect(a != makeInputs(for: kernel, seed: 4))
        #expect(Set(a.keys) == ["F", "D", "N", "Q"])
        let f = a["F"]!, d = a["D"]!, n = a["N"]!, q = a["Q"]!
        #expect(f.count == 64 * 64 && d.count == 1000 && n.count == 2000 && q.count == 100)
        #expect(f.allSatisfy { $0 >= -1 && $0 < 1 && Double(Float($0)) == $0 })
        #expect(d.allSatisfy { $0 >= -1 && $0 < 1 })
        #expect(d.contains { Double(Float($0)) != $0 })  // f64 data uses more than 24 bits
        #expect(Set(n) == Set((-8 ... 8).map(Double.init)))  // every value in [-8, 8] shows up
        #expect(Set(q) == [0, 1])
        // Roughly uniform: mean near 0, both halves populated.
        let mean = f.reduce(0, +) / Double(f.count)
        #expect(abs(mean) < 0.05)
        #expect(Set(f).count > f.count * 9 / 10)
        // Each tensor has its own stream: tensors of the same type differ.
        let twin = Kernel(name: "twin",
                          tensors: [TensorDecl(name: "A", role: .input, type: .f32, shape: [8]),
                                    TensorDecl(name: "B", role: .input, type: .f32, shape: [8]),
                                    TensorDecl(name: "out", role: .output, type: .f32, shape: [1])],
                          stages: [Stage(name: "out", indexVariables: ["i"], value: K.f32(0))])
        let t = makeInputs(for: twin, seed: 3)
        #expect(t["A"] != t["B"])
        // Values are a pure function of (seed, name, type, count): stable across kernels.
        #expect(makeTensorValues(TensorDecl(name: "F", role: .input, type: .f32, shape: [4096]), seed: 3) == f)
    }

    @Test func splitMix64MatchesReferenceOutput() {
        // The first outputs of SplitMix64 seeded with 1234567 (Vigna's reference C code).
        var g = SplitMix64(seed: 1234567)
        #expect(g.next() == 6457827717110365317)
        #expect(g.next() == 3203168211198807973)
        #expect(g.next() == 9817491932198370423)
    }

    @Test func toleranceScalesWithTheData() {
        // A near-zero result of a big sum: relative error is huge, but within
        // rtol * scale, so it passes.
        let expected: [Double] = [1000, -1000, 1e-6]
        let c = compare(actual: [1000.5, -1000.2, 0.3], expected: expected, type: .f32)
        #expect(c.passed)
        #expect(c.scale == 1000)
        #expect(c.absoluteTolerance == 1)
        #expect(c.maxAbsError == 0.5)
        #expect(c.maxRelError > 1000)
        // Past atol + rtol * |e| fails: 1 + 1e-3 * 1000 = 2 for the first element.
        let bad = compare(actual: [1002.5, -1000, 0], expected: expected, type: .f32)
        #expect(!bad.passed)
        #expect(bad.mismatches == 1)
        #expect(bad.worstIndex == 0)
        #expect(bad.firstMismatchIndex == 0)
        #expect(bad.description.hasPrefix("FAILED"))
        // f64 is much tighter.
        #expect(!compare(actual: [1.000001], expected: [1], type: .f64).passed)
        #expect(compare(actual: [1 + 1e-12], expected: [1], type: .f64).passed)
        // An explicit tolerance overrides the default.
        #expect(compare(actual: [1.1], expected: [1], type: .f32, tolerance: .init(relative: 0.1)).passed)
    }

    @Test func specialValues() {
        let nan = Double.nan, inf = Double.infinity
        #expect(compare(actual: [nan, 1], expected: [nan, 1], type: .f32).passed)
        #expect(!compare(actual: [0, 1], expected: [nan, 1], type: .f32).passed)
        #expect(!compare(actual: [nan, 1], expected: [0, 1], type: .f32).passed)
        #expect(compare(actual: [inf, -inf], expected: [inf, -inf], type: .f32).passed)
        #expect(!compare(actual: [-inf], expected: [inf], type: .f32).passed)
        #expect(!compare(actual: [3.4e38], expected: [inf], type: .f32).passed)
        #expect(!compare(actual: [inf], expected: [3.4e38], type: .f32).passed)
        // Infinities do not inflate the scale: the finite element keeps a tight band.
        let c = compare(actual: [inf, 1.01], expected: [inf, 1], type: .f32)
        #expect(c.scale == 1)
        #expect(!c.passed && c.mismatches == 1 && c.worstIndex == 1)
        let failure = compare(actual: [nan], expected: [2], type: .f32)
        #expect(failure.maxAbsError == .infinity && failure.worstIndex == 0)
    }

    @Test func integersCompareExactly() {
        #expect(compare(actual: [1, -7, 2_000_000_000], expected: [1, -7, 2_000_000_000], type: .i32).passed)
        let c = compare(actual: [1, -7, 1_999_999_999], expected: [1, -7, 2_000_000_000], type: .i32)
        #expect(!c.passed && c.mismatches == 1 && c.worstIndex == 2 && c.maxAbsError == 1)
        #expect(Comparison.Tolerance.default(for: .i32) == .exact)
        // Different lengths fail.
        let short = compare(actual: [1, 2], expected: [1, 2, 3], type: .i32)
        #expect(!short.passed && short.lengthMismatch && short.count == 2)
    }

    @Test func sampledComparisonReportsFlatIndices() {
        let expected = (0 ..< 100).map(Double.init)
        var actual = expected
        actual[42] += 1
        let hit = compare(at: [0, 42, 99], actual: { actual[$0] }, expected: { expected[$0] }, type: .f32)
        #expect(!hit.passed && hit.worstIndex == 42 && hit.count == 3)
        let miss = compare(at: [0, 41, 43, 99], actual: { actual[$0] }, expected: { expected[$0] }, type: .f32)
        #expect(miss.passed && miss.count == 4)
        // The scale is taken over the sampled elements only: 99 here.
        #expect(miss.scale == 99)
    }

    @Test func sampleIndicesAreDeterministicAndCoverEdges() {
        let shape = [7, 11, 13]
        let total = 7 * 11 * 13
        let s = sampleIndices(count: 100, shape: shape, seed: 9)
        #expect(s == sampleIndices(count: 100, shape: shape, seed: 9))
        #expect(s != sampleIndices(count: 100, shape: shape, seed: 10))
        #expect(s.count == 100)
        #expect(s == s.sorted() && Set(s).count == s.count)
        #expect(s.first == 0 && s.last == total - 1)
        #expect(s.allSatisfy { $0 >= 0 && $0 < total })
        // Corners of the index space.
        for corner in [[0, 0, 12], [0, 10, 0], [6, 0, 0], [6, 10, 12], [6, 10, 0]] {
            #expect(s.contains(corner[0] * 143 + corner[1] * 13 + corner[2]))
        }
        // Row boundaries beyond the corners: some rows contribute both ends.
        let rowStarts = Set(s.filter { $0 % 13 == 0 }.map { $0 / 13 })
        let rowEnds = Set(s.filter { $0 % 13 == 12 }.map { $0 / 13 })
        #expect(rowStarts.intersection(rowEnds).count > 4)
        // Covering the tensor returns everything; tiny samples stay valid.
        #expect(sampleIndices(count: total, shape: shape, seed: 1) == Array(0 ..< total))
        #expect(sampleIndices(count: 2, shape: shape, seed: 1) == [0, total - 1])
        #expect(sampleIndices(count: 5, shape: [], seed: 1) == [0])
        #expect(sampleIndices(count: 999, shape: [1000], seed: 1).count == 999)
    }

    @Test func verifyOutputAgainstTheInterpreter() throws {
        let kernel = K.gemm(m: 48, n: 40, k: 32)
        let inputs = makeInputs(for: kernel, seed: 5)
        let reference = try Interpreter.evaluate(kernel, inputs: inputs)
        // A "compiled" result: f32 accumulation in another order, as a schedule would.
        let a = inputs["A"]!.map(Float.init), b = inputs["B"]!.map(Float.init)
        var c = [Float](repeating: 0, count: 48 * 40)
        for kk in stride(from: 31, through: 0, by: -1) {
            for i in 0 ..< 48 { for j in 0 ..< 40 { c[i * 40 + j] += a[i * 32 + kk] * b[kk * 40 + j] } }
        }
        let full = try Interpreter(kernel: kernel, inputs: inputs).verifyOutput(actual: { Double(c[$0]) })
        #expect(full.passed && full.count == 48 * 40)
        #expect(full.maxAbsError > 0)  // f32 rounding is visible, and tolerated
        let sampled = try Interpreter(kernel: kernel, inputs: inputs).verifyOutput(actual: { Double(c[$0]) }, sampleCount: 100, seed: 1)
        #expect(sampled.passed && sampled.count == 100)
        // A wrong element is caught when sampled; the interpreter's value is the reference.
        var broken = c
        broken[40 * 47 + 39] += 0.5  // the last element: always sampled
        let caught = try Interpreter(kernel: kernel, inputs: inputs).verifyOutput(actual: { Double(broken[$0]) }, sampleCount: 50)
        #expect(!caught.passed && caught.worstIndex == 48 * 40 - 1)
        #expect(caught.worstExpected == reference.last)
    }
}
