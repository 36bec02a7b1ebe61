/// The element types Hone computes with.
///
/// `index` is the 64-bit signed integer type of loop variables and index
/// arithmetic; `i32` is the element type of integer tensors. Integer division
/// and modulo on both round towards negative infinity (floor semantics), so an
/// affine index such as `(x - 1) / 2` is well defined for negative values.
public enum ScalarType: String, Hashable, Sendable, Codable, CaseIterable {
    case bool
    case i32
    case index
    case f32
    case f64

    public var isFloat: Bool { self == .f32 || self == .f64 }
    public var isInteger: Bool { self == .i32 || self == .index }

    /// Bytes one element occupies in memory.
    public var byteSize: Int {
        switch self {
        case .bool: 1
        case .i32, .f32: 4
        case .index, .f64: 8
        }
    }

    /// The C type that stores one element (used by emitted headers).
    public var cName: String {
        switch self {
        case .bool: "_Bool"
        case .i32: "int32_t"
        case .index: "int64_t"
        case .f32: "float"
        case .f64: "double"
        }
    }

    /// The type of a binary arithmetic operation on `a` and `b`:
    /// booleans widen to integers, integers to floats, f32 to f64.
    @inlinable public static func promoted(_ a: ScalarType, _ b: ScalarType) -> ScalarType {
        a.promotionRank >= b.promotionRank ? a : b
    }

    /// The order of `promoted`: bool, i32, index, f32, f64.
    @usableFromInline var promotionRank: Int {
        switch self {
        case .bool: 0
        case .i32: 1
        case .index: 2
        case .f32: 3
        case .f64: 4
        }
    }
}
