import Testing
@testable import HoneIR

@Test func promotionWidensTowardsFloat() {
    #expect(ScalarType.promoted(.i32, .f32) == .f32)
    #expect(ScalarType.promoted(.f64, .f32) == .f64)
    #expect(ScalarType.promoted(.bool, .index) == .index)
    #expect(Expr.binary(.lt, .index(1), .index(2)).type == .bool)
}
