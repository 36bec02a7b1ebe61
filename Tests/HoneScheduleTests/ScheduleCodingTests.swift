import Foundation
import Testing
@testable import Hone

@Test func schedulesRoundTripThroughJSON() throws {
    let schedule = Schedule([
        .split(stage: "C", loop: "i", factors: [8, 6]), .reorder(stage: "C", order: ["i.0", "j", "i.1"]),
        .fuse(stage: "C", loops: ["i.0", "j"]), .vectorize(stage: "C", loop: "j.1"), .unroll(stage: "C", loop: "i.2"),
        .unrollMaxStep(stage: "C", maxStep: 64), .parallel(stage: "C", loop: "i.0"),
        .computeAt(stage: "P", consumer: "C", loop: "j.0"), .computeInline(stage: "Q"), .computeRoot(stage: "R"),
        .cacheWrite(stage: "C"), .rfactor(stage: "C", loop: "k", factor: 4), .pack(tensor: "B", dimension: 1, block: 16),
        .storageOrder(stage: "C.local", order: ["j", "i"]),
    ])
    let decoded = try JSONDecoder().decode(Schedule.self, from: Data(schedule.json().utf8))
    #expect(decoded == schedule)
    #expect(schedule.json().contains("\"kind\" : \"compute_at\""))
    #expect(schedule.json().contains("\"max_step\" : 64"))
    #expect(schedule.json().contains("\"kind\" : \"storage_order\""))
}

@Test func unknownStepKindsAreRejectedByName() throws {
    let json = #"{"steps": [{"kind": "tile", "stage": "C"}]}"#
    #expect(throws: DecodingError.self) { try JSONDecoder().decode(Schedule.self, from: Data(json.utf8)) }
}
