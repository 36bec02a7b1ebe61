/// The feature rows of one program: one row per store statement of its loop
/// nest (`FeatureSchema`). A program's predicted score is a sum over them.
public typealias ProgramFeatures = [[Float]]

/// A model that ranks candidate programs by predicted speed and learns from
/// the measured ones: the interface the search sees (MetaSchedule's
/// Update/Predict). The search scores tens of thousands of candidates per
/// round and measures only a few dozen. Implementations work on feature
/// rows; the features of a loop nest are the only bridge between loops and
/// the model.
public protocol CostModel: AnyObject {
    /// One score per program (higher is faster).
    func predict(_ programs: [ProgramFeatures]) -> [Float]
    /// False while the scores carry no information (too little data so far).
    var isTrained: Bool { get }
    /// Retrains on every measured program: throughput relative to the best (1
    /// for the fastest, 0 for one too slow to finish). Throws when training
    /// fails; the model then keeps what it had.
    func update(programs: [ProgramFeatures], relativeThroughput: [Float]) throws
}
