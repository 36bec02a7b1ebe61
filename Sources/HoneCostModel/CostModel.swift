/// A model that ranks candidate programs by predicted speed.
///
/// The search scores tens of thousands of candidates per round and measures
/// only a few dozen; this is the interface it sees (MetaSchedule's
/// Load/Save/Update/Predict). Implementations work on feature rows; the
/// features of a loop nest are the only bridge between loops and the model.
public protocol CostModel {
    /// One score per program (higher is faster). `programs[p]` holds the
    /// feature rows of program p, one row per store statement.
    func predict(_ programs: [[[Float]]]) -> [Float]
}
