import Foundation
import Hone

/// The kernels shipped in Kernels/, by name, at their own or at small parameter values.
public enum ShippedKernels {
    public static let directory = repositoryRoot.appendingPathComponent("Kernels")

    public static var names: [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { $0.hasSuffix(".hone") }.map { String($0.dropLast(5)) }.sorted()
    }

    public static func path(_ name: String) -> String { directory.appendingPathComponent("\(name).hone").path }

    public static func load(_ name: String, _ overrides: [String: Int] = [:]) throws -> Kernel {
        try Kernel.load(path: path(name), overrides: overrides)
    }

    /// Small values, primes among them so that splits leave tails.
    public static let smallValues = [5, 7, 13, 8, 3, 16, 4, 11, 2, 9]

    /// Variant `variant` of a kernel: each parameter takes one of
    /// `smallValues` (2 to 16, at most its default, so strides and batch
    /// sizes stay as written), varied across variants and parameters.
    public static func small(_ name: String, variant: Int) throws -> Kernel {
        try load(name, overrides(name) { i in smallValues[(variant * 3 + i * 7) % smallValues.count] })
    }

    /// Each parameter gets a value from 3 to 9 (at most its default), varied
    /// with `seed` so no two dimensions coincide by accident and tails of
    /// 8-wide vectors are exercised: smaller than `small`, for tests that run
    /// every kernel several times.
    public static func tiny(_ name: String, seed: Int = 0) throws -> Kernel {
        try load(name, overrides(name) { i in 3 + (i * 5 + seed) % 7 })
    }

    /// Each parameter at `value(its position)`, capped at its default.
    private static func overrides(_ name: String, _ value: (Int) -> Int) throws -> [String: Int] {
        var overrides: [String: Int] = [:]
        for (i, parameter) in try load(name).parameters.enumerated() {
            overrides[parameter.name] = min(parameter.value, value(i))
        }
        return overrides
    }
}
