#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What a load can read: an input tensor or an earlier stage.
enum InterpSource {
    case input(InterpInput)
    case stage(InterpStage)
}

/// Turns one stage's value expression into a tree of closures over the
/// stage's slot frame, so evaluation does no name lookup and no dispatch on
/// `Expr`. Checks what the interpreter relies on (known names, ranks, integer
/// indices, arities) and throws a `HoneError` naming the stage otherwise.
struct InterpStageCompiler {
    let stageName: String
    /// Variable name → slot in `frame`.
    let slots: [String: Int]
    let frame: UnsafeMutablePointer<Int64>
    /// Tensors this stage may read: the inputs and the earlier stages.
    let sources: [String: InterpSource]
    /// Tensors defined later (or never): reading them is an ordering error.
    let allTensors: [String: TensorDecl]
    let parameters: [String: Int]
    let errors: InterpErrorState

    private func fail(_ message: String) -> HoneError {
        HoneError("stage \(stageName): \(message)")
    }

    // MARK: Typed entry points

    func compile(_ e: Expr) throws -> InterpCode {
        switch e {
        case .int(let v, let t):
            if t.isFloat { let d = interpStoreFloat(Double(v), as: t); return .float { d } }
            let v = t == .bool ? (v != 0 ? 1 : 0) : v
            return .int { v }
        case .float(let v, let t):
            if t.isFloat { let d = interpStoreFloat(v, as: t); return .float { d } }
            let i = interpTruncate(v, to: t)
            return .int { i }
        case .variable(let name, let t):
            return try compileVariable(name, t)
        case .load(let name, let indices, _):
            return try compileLoad(name, indices)
        case .unary(let op, let a):
            return try compileUnary(op, a)
        case .binary(let op, let a, let b):
            return try compileBinary(op, a, b)
        case .call(let f, let args):
            return try compileCall(f, args)
        case .select(let c, let a, let b):
            let t = e.type
            let cond = try compileInt(c, as: .bool)
            if t.isFloat {
                let x = try compileFloat(a, as: t), y = try compileFloat(b, as: t)
                return .float { cond() != 0 ? x() : y() }
            }
            let x = try compileInt(a, as: t), y = try compileInt(b, as: t)
            return .int { cond() != 0 ? x() : y() }
        case .cast(let t, let a):
            let code = try compile(a)
            return t.isFloat ? .float(convertToFloat(code, t)) : .int(convertToInt(code, t))
        }
    }

    /// Compiles `e` and converts its value to the float type `t` (f32 rounds).
    func compileFloat(_ e: Expr, as t: ScalarType) throws -> InterpFloatCode {
        let code = try compile(e)
        if case .float(let f) = code, e.type == t || t == .f64 { return f }
        return convertToFloat(code, t)
    }

    /// Compiles `e` and converts its value to the integer type `t`. Widening
    /// between integer types is free (values are already exact Int64).
    func compileInt(_ e: Expr, as t: ScalarType) throws -> InterpIntCode {
        let code = try compile(e)
        if case .int(let i) = code {
            if t == .bool && e.type != .bool { return { i() != 0 ? 1 : 0 } }
            return i
        }
        return convertToInt(code, t)
    }

    /// The value of an index expression (must be integer-typed).
    func compileIndex(_ e: Expr) throws -> InterpIntCode {
        guard e.type.isInteger || e.type == .bool else {
            throw fail("index expression has type \(e.type.rawValue), expected an integer")
        }
        return try compileInt(e, as: .index)
    }

    // MARK: Conversions (the semantics of `cast`)

    private func convertToFloat(_ code: InterpCode, _ t: ScalarType) -> InterpFloatCode {
        switch (code, t) {
        case (.float(let f), .f32): return { Double(Float(f())) }
        case (.float(let f), _): return f
        case (.int(let i), .f32): return { Double(Float(i())) }
        case (.int(let i), _): return { Double(i()) }
        }
    }

    private func convertToInt(_ code: InterpCode, _ t: ScalarType) -> InterpIntCode {
        switch (code, t) {
        case (.float(let f), _): return { interpTruncate(f(), to: t) }
        case (.int(let i), .bool): return { i() != 0 ? 1 : 0 }
        case (.int(let i), .i32): return { Int64(Int32(truncatingIfNeeded: i())) }
        case (.int(let i), _): return i
        }
    }

    // MARK: Leaves

    private func compileVariable(_ name: String, _ t: ScalarType) throws -> InterpCode {
        if let slot = slots[name] {
            let p = frame + slot
            if t.isFloat { return .float { Double(p.pointee) } }
            return .int { p.pointee }
        }
        if let v = parameters[name] {
            let v = Int64(v)
            if t.isFloat { let d = Double(v); return .float { d } }
            return .int { v }
        }
        throw fail("unknown variable '\(name)'")
    }

    private func compileLoad(_ name: String, _ indices: [Expr]) throws -> InterpCode {
        guard let source = sources[name] else {
            if allTensors[name] != nil {
                throw fail("reads tensor '\(name)' before a stage defines it (stages must be in dependency order)")
            }
            throw fail("reads unknown tensor '\(name)'")
        }
        let decl: TensorDecl
        switch source {
        case .input(let input): decl = input.decl
        case .stage(let s): decl = s.decl
        }
        guard indices.count == decl.shape.count else {
            throw fail("'\(name)' has \(decl.shape.count) dimensions but is indexed with \(indices.count)")
        }
        let flat = try compileFlatIndex(name: name, shape: decl.shape, indices: indices)
        let isFloat = decl.type.isFloat
        switch source {
        case .input(let input):
            let data = input.data
            if isFloat {
                return .float {
                    let f = flat()
                    return f >= 0 ? data[f] : 0
                }
            }
            return .int {
                let f = flat()
                return f >= 0 ? Int64(data[f]) : 0
            }
        case .stage(let stage):
            let data = stage.storage
            if isFloat {
                return .float {
                    let f = flat()
                    if f < 0 { return 0 }
                    stage.ensure(f)
                    return data[f]
                }
            }
            return .int {
                let f = flat()
                if f < 0 { return 0 }
                stage.ensure(f)
                return Int64(data[f])
            }
        }
    }

    /// A closure computing the row-major flat offset of the indices, or -1
    /// (after reporting the error) when an index is out of bounds.
    private func compileFlatIndex(name: String, shape: [Int], indices: [Expr]) throws -> () -> Int {
        let errors = self.errors
        let stageName = self.stageName
        let codes = try indices.map { try InterpIndexCode(compileIndexPattern($0)) }
        let extents = shape.map { UInt64($0) }
        let strides = rowMajorStrides(shape).map(Int64.init)
        func outOfBounds(_ values: [Int64]) -> Int {
            errors.report("stage \(stageName): load \(name)\(values) is out of bounds of shape \(shape)")
            return -1
        }
        switch codes.count {
        case 0:
            return { 0 }
        case 1:
            let c0 = codes[0], e0 = extents[0]
            return {
                let i0 = c0.value()
                if UInt64(bitPattern: i0) >= e0 { return outOfBounds([i0]) }
                return Int(i0)
            }
        case 2:
            let c0 = codes[0], c1 = codes[1], e0 = extents[0], e1 = extents[1], s0 = strides[0]
            return {
                let i0 = c0.value(), i1 = c1.value()
                if UInt64(bitPattern: i0) >= e0 || UInt64(bitPattern: i1) >= e1 { return outOfBounds([i0, i1]) }
                return Int(i0 &* s0 &+ i1)
            }
        case 3:
            let c0 = codes[0], c1 = codes[1], c2 = codes[2]
            let e0 = extents[0], e1 = extents[1], e2 = extents[2], s0 = strides[0], s1 = strides[1]
            return {
                let i0 = c0.value(), i1 = c1.value(), i2 = c2.value()
                if UInt64(bitPattern: i0) >= e0 || UInt64(bitPattern: i1) >= e1 || UInt64(bitPattern: i2) >= e2 {
                    return outOfBounds([i0, i1, i2])
                }
                return Int(i0 &* s0 &+ i1 &* s1 &+ i2)
            }
        case 4:
            let c0 = codes[0], c1 = codes[1], c2 = codes[2], c3 = codes[3]
            let e0 = extents[0], e1 = extents[1], e2 = extents[2], e3 = extents[3]
            let s0 = strides[0], s1 = strides[1], s2 = strides[2]
            return {
                let i0 = c0.value(), i1 = c1.value(), i2 = c2.value(), i3 = c3.value()
                if UInt64(bitPattern: i0) >= e0 || UInt64(bitPattern: i1) >= e1
                    || UInt64(bitPattern: i2) >= e2 || UInt64(bitPattern: i3) >= e3 {
                    return outOfBounds([i0, i1, i2, i3])
                }
                return Int(i0 &* s0 &+ i1 &* s1 &+ i2 &* s2 &+ i3)
            }
        default:
            return {
                var flat: Int64 = 0
                var values: [Int64] = []
                for d in 0 ..< codes.count {
                    let i = codes[d].value()
                    if UInt64(bitPattern: i) >= extents[d] {
                        values = codes.map { $0.value() }
                        return outOfBounds(values)
                    }
                    flat = flat &+ i &* strides[d]
                }
                return Int(flat)
            }
        }
    }

    /// Recognizes the index shapes that need no closure call: a variable, a
    /// variable plus a constant, a constant.
    private func compileIndexPattern(_ e: Expr) throws -> InterpIndexPattern {
        switch e {
        case .variable(let name, let t) where t.isInteger && slots[name] != nil:
            return .slot(frame + slots[name]!, 0)
        case .int(let v, let t) where t.isInteger:
            return .constant(v)
        case .binary(.add, .variable(let name, let t), .int(let c, let ct))
            where t.isInteger && ct.isInteger && slots[name] != nil:
            return .slot(frame + slots[name]!, c)
        case .binary(.add, .int(let c, let ct), .variable(let name, let t))
            where t.isInteger && ct.isInteger && slots[name] != nil:
            return .slot(frame + slots[name]!, c)
        case .binary(.sub, .variable(let name, let t), .int(let c, let ct))
            where t.isInteger && ct.isInteger && slots[name] != nil:
            return .slot(frame + slots[name]!, 0 &- c)
        default:
            return .code(try compileIndex(e))
        }
    }

    // MARK: Operators

    private func compileUnary(_ op: UnaryOp, _ a: Expr) throws -> InterpCode {
        switch op {
        case .not:
            let x = try compileInt(a, as: .bool)
            return .int { x() == 0 ? 1 : 0 }
        case .neg:
            switch try compile(a) {
            case .float(let x): return .float { -x() }
            case .int(let x): return .int { 0 &- x() }
            }
        }
    }

    private func compileBinary(_ op: BinaryOp, _ a: Expr, _ b: Expr) throws -> InterpCode {
        if op.isLogical {
            let x = try compileInt(a, as: .bool), y = try compileInt(b, as: .bool)
            switch op {
            case .and: return .int { (x() != 0 && y() != 0) ? 1 : 0 }
            default: return .int { (x() != 0 || y() != 0) ? 1 : 0 }
            }
        }
        let t = ScalarType.promoted(a.type, b.type)
        if t.isFloat {
            let x = try compileFloat(a, as: t), y = try compileFloat(b, as: t)
            switch op {
            case .add: return .float { x() + y() }
            case .sub: return .float { x() - y() }
            case .mul: return .float { x() * y() }
            case .div: return .float { x() / y() }
            case .mod:
                // Floor modulo, like the integer one: the result takes the
                // divisor's sign.
                return .float {
                    let p = x(), q = y()
                    let r = fmod(p, q)
                    return (r != 0 && ((r < 0) != (q < 0))) ? r + q : r
                }
            case .min: return .float { interpMin(x(), y()) }
            case .max: return .float { interpMax(x(), y()) }
            case .eq: return .int { x() == y() ? 1 : 0 }
            case .ne: return .int { x() != y() ? 1 : 0 }
            case .lt: return .int { x() < y() ? 1 : 0 }
            case .le: return .int { x() <= y() ? 1 : 0 }
            case .gt: return .int { x() > y() ? 1 : 0 }
            case .ge: return .int { x() >= y() ? 1 : 0 }
            case .and, .or: preconditionFailure("logical operators are handled above")
            }
        }
        let x = try compileInt(a, as: t)
        // Constant divisors (every index division) skip the zero check.
        if case .int(let c, _) = b, c != 0, op == .div || op == .mod {
            if c > 0 {
                if op == .div { return .int { let v = x(); return v >= 0 ? v / c : 0 &- ((c &- 1 &- v) / c) } }
                return .int { let r = x() % c; return r < 0 ? r + c : r }
            }
            if op == .div { return .int { interpFloorDiv(x(), c) } }
            return .int { interpFloorMod(x(), c) }
        }
        if case .int(let c, _) = b {
            switch op {
            case .add: return .int { x() &+ c }
            case .sub: return .int { x() &- c }
            case .mul: return .int { x() &* c }
            default: break
            }
        }
        let y = try compileInt(b, as: t)
        let errors = self.errors, stageName = self.stageName
        switch op {
        case .add: return .int { x() &+ y() }
        case .sub: return .int { x() &- y() }
        case .mul: return .int { x() &* y() }
        case .div:
            return .int {
                let p = x(), q = y()
                if q == 0 { errors.report("stage \(stageName): integer division by zero"); return 0 }
                return interpFloorDiv(p, q)
            }
        case .mod:
            return .int {
                let p = x(), q = y()
                if q == 0 { errors.report("stage \(stageName): integer modulo by zero"); return 0 }
                return interpFloorMod(p, q)
            }
        case .min: return .int { Swift.min(x(), y()) }
        case .max: return .int { Swift.max(x(), y()) }
        case .eq: return .int { x() == y() ? 1 : 0 }
        case .ne: return .int { x() != y() ? 1 : 0 }
        case .lt: return .int { x() < y() ? 1 : 0 }
        case .le: return .int { x() <= y() ? 1 : 0 }
        case .gt: return .int { x() > y() ? 1 : 0 }
        case .ge: return .int { x() >= y() ? 1 : 0 }
        case .and, .or: preconditionFailure("logical operators are handled above")
        }
    }

    private func compileCall(_ f: MathFunction, _ args: [Expr]) throws -> InterpCode {
        guard args.count == f.arity else {
            throw fail("\(f.rawValue) takes \(f.arity) argument\(f.arity == 1 ? "" : "s"), got \(args.count)")
        }
        let t = Expr.call(f, args).type
        if !t.isFloat {
            guard f == .abs else { throw fail("\(f.rawValue) needs a float argument, got \(t.rawValue)") }
            let x = try compileInt(args[0], as: t)
            return .int { let v = x(); return v < 0 ? 0 &- v : v }
        }
        let x = try compileFloat(args[0], as: t)
        switch f {
        case .exp: return .float { exp(x()) }
        case .log: return .float { log(x()) }
        case .sqrt: return .float { x().squareRoot() }
        case .tanh: return .float { tanh(x()) }
        case .abs: return .float { Swift.abs(x()) }
        case .floor: return .float { x().rounded(.down) }
        case .ceil: return .float { x().rounded(.up) }
        case .sin: return .float { sin(x()) }
        case .cos: return .float { cos(x()) }
        case .pow:
            let y = try compileFloat(args[1], as: t)
            return .float { pow(x(), y()) }
        }
    }
}

/// An index shape evaluated without a closure call where possible.
enum InterpIndexPattern {
    /// `slot + offset`.
    case slot(UnsafeMutablePointer<Int64>, Int64)
    case constant(Int64)
    case code(InterpIntCode)
}

struct InterpIndexCode {
    let pattern: InterpIndexPattern
    init(_ pattern: InterpIndexPattern) { self.pattern = pattern }

    @inline(__always)
    func value() -> Int64 {
        switch pattern {
        case .slot(let p, let offset): p.pointee &+ offset
        case .constant(let c): c
        case .code(let code): code()
        }
    }
}
