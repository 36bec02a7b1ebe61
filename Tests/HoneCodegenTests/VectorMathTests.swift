import Foundation
import Testing
@testable import Hone

// Math functions in vectorized loops (libmvec calls) against the interpreter
// (the C library in Double, rounded once), in ulps of the output type, over
// edge cases and a wide sweep of magnitudes.

/// `Y[i] = f(X[i])` (or `pow(X[i], P[i])`), its loop split by `lanes` and vectorized.
private func vectorizedMath(_ f: MathFunction, _ type: ScalarType, count: Int, lanes: Int) throws -> (Kernel, LoopNest) {
    let t = type.rawValue
    let kernel = try Kernel.parse("""
        kernel math
        param N = \(count)
        input  X: \(t)[N]
        \(f == .pow ? "input  P: \(t)[N]" : "")
        output Y: \(t)[N]
        Y[i] = \(f == .pow ? "pow(X[i], P[i])" : "\(f.rawValue)(X[i])")
        """)
    let schedule = Schedule([.split(stage: "Y", loop: "i", factors: [lanes]), .vectorize(stage: "Y", loop: "i.1")])
    return (kernel, try lower(kernel, schedule: schedule))
}

/// Edge cases (zeros, denormals, the overflow and underflow thresholds of
/// exp, huge magnitudes, infinities, NaN) and a logarithmic sweep of both signs.
private func mathInputs(_ type: ScalarType) -> [Double] {
    let f32 = type == .f32
    var values: [Double] = [0, -0.0, 1, -1, 0.5, 2, 10, -10, .infinity, -.infinity, .nan,
                            f32 ? Double(Float.leastNonzeroMagnitude) : Double.leastNonzeroMagnitude,
                            f32 ? 1e-40 : Double.leastNormalMagnitude / 3, f32 ? -1e-40 : -Double.leastNormalMagnitude / 3,
                            f32 ? Double(Float.leastNormalMagnitude) : Double.leastNormalMagnitude,
                            f32 ? 88.72 : 709.78, f32 ? 88.73 : 709.79, f32 ? -87.3 : -708.3, f32 ? -103.9 : -745.1,
                            f32 ? -104 : -746, 1e4, -1e4, 1e30, -1e30,
                            f32 ? Double(Float.greatestFiniteMagnitude) : Double.greatestFiniteMagnitude,
                            f32 ? -Double(Float.greatestFiniteMagnitude) : -Double.greatestFiniteMagnitude]
    for step in stride(from: -8.0, through: 8.0, by: 0.05) {
        values.append(pow(10, step) * 1.2345)
        values.append(-pow(10, step) * 1.2345)
    }
    for k in 0..<200 { values.append(-20 + 0.2 * Double(k) + 0.013) }
    return values
}

/// Exponents for pow: integers (a negative base then has a real power), halves, and a spread.
private func powExponents(count: Int) -> [Double] {
    let special: [Double] = [0, -0.0, 1, -1, 2, 3, -3, 0.5, -0.5, 1.5, 40, -40, .infinity, -.infinity, .nan]
    return (0..<count).map { $0 % 3 == 0 ? special[($0 / 3) % special.count] : -12 + 24 * Double(($0 * 7919) % 1000) / 1000 }
}

/// Distance in representable values of `type` (0 for two NaNs or equal infinities).
private func ulpDistance(_ a: Double, _ b: Double, _ type: ScalarType) -> Double {
    if a.isNaN || b.isNaN { return a.isNaN && b.isNaN ? 0 : .infinity }
    if a == b { return 0 }
    // Floats ordered as integers: consecutive values differ by one.
    func ordered(_ x: Double) -> Int64 {
        let magnitude = type == .f32 ? Int64(Float(x).bitPattern & 0x7fff_ffff) : Int64(bitPattern: x.bitPattern & 0x7fff_ffff_ffff_ffff)
        return x.sign == .minus ? -magnitude : magnitude
    }
    let (difference, overflow) = ordered(a).subtractingReportingOverflow(ordered(b))
    return overflow ? .infinity : Double(difference.magnitude)
}

/// libmvec's bound (4 ulps) for the transcendental functions; the others are
/// single instructions and exact.
private let ulpBound: [MathFunction: Double] = [.exp: 4, .log: 4, .sin: 4, .cos: 4, .tanh: 4, .pow: 4,
                                                .sqrt: 0, .abs: 0, .floor: 0, .ceil: 0]

@Test(arguments: MathFunction.allCases, [(ScalarType.f32, 16), (.f32, 21), (.f64, 8), (.f64, 5)])
func vectorizedMathIsWithinItsUlpBound(_ f: MathFunction, _ typeAndLanes: (ScalarType, Int)) throws {
    let (type, lanes) = typeAndLanes
    let x = mathInputs(type)
    let p = f == .pow ? powExponents(count: x.count) : []
    let (kernel, nest) = try vectorizedMath(f, type, count: x.count, lanes: lanes)
    let compiled = try Compiler().jit(nest)
    let inputs = f == .pow ? ["X": x, "P": p] : ["X": x]
    let buffers = kernel.arguments.map { TensorBuffer(type: type, shape: $0.shape) }
    for (buffer, tensor) in zip(buffers, kernel.inputs) { buffer.fill(with: inputs[tensor.name]!) }
    compiled.run(buffers)
    let expected = try Interpreter.evaluate(kernel, inputs: inputs)
    let actual = buffers.last!.values()
    var worst = (ulps: 0.0, index: 0)
    for i in x.indices {
        let d = ulpDistance(actual[i], expected[i], type)
        if d > worst.ulps { worst = (d, i) }
    }
    let i = worst.index
    #expect(worst.ulps <= ulpBound[f]!,
            "\(f.rawValue) \(type.rawValue) x\(lanes): \(worst.ulps) ulps at x = \(x[i])\(p.isEmpty ? "" : ", p = \(p[i])"): \(actual[i]), expected \(expected[i])")
}

@Test func aVectorizedExpIsOneLibmvecCallPerRegister() throws {
    let (_, nest) = try vectorizedMath(.exp, .f32, count: 64, lanes: 16)
    let assembly = try Compiler().assembly(nest)
    #expect(assembly.contains("_ZGV"), "\(assembly)")
    #expect(!assembly.contains("\texpf@"), "\(assembly)")
}
