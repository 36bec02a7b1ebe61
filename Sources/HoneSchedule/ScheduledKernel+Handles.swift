// Steps that hand back the loops they create, so a rule that generates
// steps names later loops by what the earlier steps returned (MetaSchedule's
// loop handles) instead of spelling the names again.
extension ScheduledKernel {
    /// Applies `split` and returns the loops it made, outermost first.
    @discardableResult
    public mutating func split(stage: String, loop: String, factors: [Int]) throws(ScheduleError) -> [String] {
        let index = try loopIndex(try stageState(stage), stage, loop)
        try apply(.split(stage: stage, loop: loop, factors: factors))
        return states[stage]!.loops[index...(index + factors.count)].map(\.name)
    }
}
