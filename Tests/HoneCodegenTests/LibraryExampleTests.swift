import Testing
import Hone

/// The example in README.md, verbatim: parse, compile, call on your own arrays.
@Test func readmeLibraryExampleRuns() throws {
    let kernel = try Kernel.parse("""
        kernel saxpy
        param N = 4
        input  x: f32[N]
        input  y: f32[N]
        output z: f32[N]
        z[i] = 2.0 * x[i] + y[i]
        """)
    let saxpy = try Compiler().jit(try lower(kernel))
    let x = TensorBuffer([1, 2, 3, 4]), y = TensorBuffer([10, 20, 30, 40]), z = TensorBuffer([0, 0, 0, 0])
    saxpy.run([x, y, z])
    print(z.values())  // [12.0, 24.0, 36.0, 48.0]
    #expect(z.values() == [12, 24, 36, 48])
}

@Test func libraryErrorsAreThrownSwiftErrors() {
    #expect(throws: HoneError.self) { try Kernel.parse("kernel k\noutput z: f32[4]\nz[i] = q[i]\n") }
    let kernel = try! Kernel.parse("kernel k\ninput x: f32[4]\noutput z: f32[4]\nz[i] = x[i]\n")
    #expect(throws: ScheduleError.self) { try lower(kernel, schedule: Schedule([.vectorize(stage: "z", loop: "nope")])) }
}
