import Foundation
import HoneIR

/// Host memory for one kernel argument: 64-byte aligned, typed by a
/// `ScalarType`, convertible to and from `[Double]` for verification.
public final class TensorBuffer {
    public let type: ScalarType
    public let shape: [Int]
    public let count: Int
    public let pointer: UnsafeMutableRawPointer

    public init(type: ScalarType, shape: [Int]) {
        self.type = type
        self.shape = shape
        count = shape.reduce(1, *)
        let bytes = max(count * type.byteSize, 1)
        pointer = UnsafeMutableRawPointer.allocate(byteCount: (bytes + 63) / 64 * 64, alignment: 64)
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
    }

    public convenience init(_ buffer: Buffer) { self.init(type: buffer.type, shape: buffer.shape) }

    /// A buffer holding `values` (row-major), rounded to `type`.
    public convenience init(_ values: [Double], type: ScalarType = .f32, shape: [Int]? = nil) {
        self.init(type: type, shape: shape ?? [values.count])
        fill(with: values)
    }

    deinit { pointer.deallocate() }

    public subscript(flat index: Int) -> Double {
        get {
            switch type {
            case .f32: Double(pointer.load(fromByteOffset: index * 4, as: Float.self))
            case .f64: pointer.load(fromByteOffset: index * 8, as: Double.self)
            case .i32: Double(pointer.load(fromByteOffset: index * 4, as: Int32.self))
            case .index: Double(pointer.load(fromByteOffset: index * 8, as: Int64.self))
            case .bool: pointer.load(fromByteOffset: index, as: UInt8.self) != 0 ? 1 : 0
            }
        }
        set {
            switch type {
            case .f32: pointer.storeBytes(of: Float(newValue), toByteOffset: index * 4, as: Float.self)
            case .f64: pointer.storeBytes(of: newValue, toByteOffset: index * 8, as: Double.self)
            case .i32: pointer.storeBytes(of: Int32(clamping: Int64(newValue)), toByteOffset: index * 4, as: Int32.self)
            case .index: pointer.storeBytes(of: Int64(newValue), toByteOffset: index * 8, as: Int64.self)
            case .bool: pointer.storeBytes(of: newValue != 0 ? 1 : 0, toByteOffset: index, as: UInt8.self)
            }
        }
    }

    /// Fills the buffer from row-major values (rounded to the element type).
    public func fill(with values: [Double]) {
        precondition(values.count == count, "\(count) values expected, got \(values.count)")
        for i in 0..<count { self[flat: i] = values[i] }
    }

    /// All elements, widened to Double.
    public func values() -> [Double] { (0..<count).map { self[flat: $0] } }
}
