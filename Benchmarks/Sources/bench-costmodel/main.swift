// bench-costmodel: Hone's gradient-boosted trees on the synthetic cost-model
// data set (../shared/costmodel/gen_dataset.py), timed and scored exactly as
// Benchmarks/costmodel/compare.py times and scores XGBoost and LightGBM.
// Prints one JSON object per measurement; Benchmarks/costmodel/run.sh merges
// them with the libraries' into one table.
//
//   bench-costmodel --data DIR [--repeats N] [--phase main|busy|seeds]
import Foundation
import Hone

#if DEBUG
print("bench-costmodel: build with -c release; debug timings mean nothing")
#endif

// MARK: Arguments

struct Options { var dataDir = "Benchmarks/.build-data"; var repeats = 3; var phase = "main" }

func parseOptions() -> Options {
    var o = Options()
    var arguments = CommandLine.arguments.dropFirst()
    while let a = arguments.popFirst() {
        switch a {
        case "--data": o.dataDir = arguments.popFirst() ?? o.dataDir
        case "--repeats": o.repeats = Int(arguments.popFirst() ?? "") ?? o.repeats
        case "--phase": o.phase = arguments.popFirst() ?? o.phase
        default:
            FileHandle.standardError.write("usage: bench-costmodel --data DIR [--repeats N] [--phase main|busy|seeds]\n".data(using: .utf8)!)
            exit(2)
        }
    }
    return o
}
let options = parseOptions()

// MARK: Data

struct Table {
    var groups: [Int] = []
    var y: [Float] = []
    var yRel: [Float] = []
    var features: [Float] = []
    var featureCount = 0
    var rowCount: Int { y.count }
}

/// Reads `group,y,y_rel,f0..` CSV (header line first): each value parsed as a
/// double, then rounded to float, as compare.py's numpy does, so both sides
/// train on bit-identical floats.
func readCSV(_ path: String) -> Table {
    guard var data = FileManager.default.contents(atPath: path) else {
        FileHandle.standardError.write("bench-costmodel: cannot read \(path); run Benchmarks/costmodel/run.sh to generate it\n".data(using: .utf8)!)
        exit(1)
    }
    data.append(0)
    var t = Table()
    data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
        let base = raw.baseAddress!.assumingMemoryBound(to: CChar.self)
        var p = base
        var columns = 1
        while p.pointee != 10 { if p.pointee == 44 { columns += 1 }; p += 1 }  // header
        p += 1
        t.featureCount = columns - 3
        var row = [Float](repeating: 0, count: columns)
        while p.pointee != 0 {
            for c in 0..<columns {
                var end: UnsafeMutablePointer<CChar>? = nil
                row[c] = Float(strtod(p, &end))
                p = UnsafePointer(end!) + 1  // skip ',' or '\n'
            }
            t.groups.append(Int(row[0]))
            t.y.append(row[1])
            t.yRel.append(row[2])
            t.features.append(contentsOf: row[3...])
            while p.pointee == 10 || p.pointee == 13 { p += 1 }
        }
    }
    return t
}

let train = readCSV(options.dataDir + "/costmodel_synth.csv")
let heldOut = readCSV(options.dataDir + "/costmodel_synth_heldout.csv")
let schemaVersion = 1

// MARK: Metrics (identical definitions in compare.py)

func spearman(_ a: [Float], _ b: [Float]) -> Double { spearmanCorrelation(a, b) ?? .nan }

struct Scores: Codable { var rmse: Double?; var spearman: Double; var top1: Double; var top8: Double; var yrel: Double }

/// Held-out metrics: RMSE of y, Spearman over all rows, and per group top-1,
/// top-8 recall and the y_rel of the predicted best (ties: the first row).
func score(_ pred: [Float], withRMSE: Bool) -> Scores {
    var se = 0.0
    for i in pred.indices { let e = Double(pred[i]) - Double(heldOut.y[i]); se += e * e }
    var top1 = 0.0, top8 = 0.0, yrel = 0.0, groups = 0.0
    var start = 0
    while start < heldOut.rowCount {
        var end = start
        while end < heldOut.rowCount && heldOut.groups[end] == heldOut.groups[start] { end += 1 }
        let rows = Array(start..<end)
        let byPred = rows.sorted { pred[$0] != pred[$1] ? pred[$0] > pred[$1] : $0 < $1 }
        let byTruth = rows.sorted { heldOut.y[$0] != heldOut.y[$1] ? heldOut.y[$0] > heldOut.y[$1] : $0 < $1 }
        top1 += byPred[0] == byTruth[0] ? 1 : 0
        let k = min(8, rows.count)
        top8 += Double(Set(byPred.prefix(k)).intersection(byTruth.prefix(k)).count) / Double(k)
        yrel += Double(heldOut.yRel[byPred[0]])
        groups += 1
        start = end
    }
    return Scores(rmse: withRMSE ? (se / Double(pred.count)).squareRoot() : nil, spearman: spearman(pred, heldOut.y),
                  top1: top1 / groups, top8: top8 / groups, yrel: yrel / groups)
}

// MARK: Runs

struct Result: Codable {
    var model: String
    var seed: UInt64? = nil
    var trees: Int
    var threads: Int
    var busy: Bool
    var trainSeconds: [Double]
    var predictRowsPerSecond: Double?
    var scores: Scores?
}

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }

func emit(_ r: Result) {
    let e = JSONEncoder()
    e.outputFormatting = [.sortedKeys]
    FileHandle.standardOutput.write(try! e.encode(r) + Data("\n".utf8))
}

let groupSizes = TrainingData.groupSizes(fromIDs: train.groups)
let regressionData = TrainingData(features: train.features, featureCount: train.featureCount, labels: train.y)
let rankingData = TrainingData(features: train.features, featureCount: train.featureCount, labels: train.y, groupSizes: groupSizes)

/// Depth 6 (XGBoost's shape), or 31 leaves grown best-first (LightGBM's).
func parameters(_ objective: GradientBoostingObjective, trees: Int, threads: Int, leaves: Int? = nil) -> GradientBoostingParameters {
    GradientBoostingParameters(objective: objective, rounds: trees, maxDepth: leaves == nil ? 6 : 30, maxLeaves: leaves,
                               minChildWeight: 1, lambda: 1, learningRate: 0.2, bins: 256, threads: threads)
}

/// Trains `repeats` times; returns the times and the last model.
func timeTraining(_ data: TrainingData, _ p: GradientBoostingParameters) -> ([Double], GradientBoostedTrees) {
    var times: [Double] = []
    var model: GradientBoostedTrees? = nil
    for _ in 0..<options.repeats {
        let clock = ContinuousClock()
        let start = clock.now
        model = try! GradientBoostedTrees.train(on: data, parameters: p, schemaVersion: schemaVersion)
        times.append(seconds(clock.now - start))
    }
    return (times, model!)
}

/// Rows per second of one-thread prediction over the held-out rows tiled 20x.
func predictionSpeed(_ model: GradientBoostedTrees) -> Double {
    var rows: [Float] = []
    for _ in 0..<20 { rows.append(contentsOf: heldOut.features) }
    let n = 20 * heldOut.rowCount
    var best = [Double]()
    for _ in 0..<5 {
        let clock = ContinuousClock()
        let start = clock.now
        let p = model.predict(rowMajor: rows)
        best.append(Double(n) / seconds(clock.now - start))
        precondition(p.count == n)
    }
    return best.sorted()[best.count / 2]
}

if options.phase == "seeds" {
    // The noise band of the held-out metrics: 5 seeds of 90% row subsampling.
    for seed in 1...5 as ClosedRange<UInt64> {
        for (name, leaves) in [("hone-bag", nil), ("hone-leaves-bag", 31)] as [(String, Int?)] {
            var p = parameters(.squaredError, trees: 100, threads: 2, leaves: leaves)
            p.rowSubsample = 0.9
            p.seed = seed
            let model = try! GradientBoostedTrees.train(on: regressionData, parameters: p, schemaVersion: schemaVersion)
            emit(Result(model: name, seed: seed, trees: 100, threads: 2, busy: false, trainSeconds: [],
                        scores: score(model.predict(rowMajor: heldOut.features), withRMSE: true)))
        }
    }
    exit(0)
}

if options.phase == "busy" {
    // run.sh holds one core with a busy loop: a trainer that spin-waits for
    // its second thread collapses here; one that blocks degrades to ~1 thread.
    for threads in [1, 2] {
        let (t, _) = timeTraining(regressionData, parameters(.squaredError, trees: 100, threads: threads))
        emit(Result(model: "hone", trees: 100, threads: threads, busy: true, trainSeconds: t))
    }
    exit(0)
}

for (name, leaves) in [("hone", nil), ("hone-leaves", 31)] as [(String, Int?)] {
    for trees in [100, 300] {
        for threads in [1, 2] {
            let (t, model) = timeTraining(regressionData, parameters(.squaredError, trees: trees, threads: threads, leaves: leaves))
            let pred = model.predict(rowMajor: heldOut.features)
            let speed = threads == 1 ? predictionSpeed(model) : nil
            emit(Result(model: name, trees: trees, threads: threads, busy: false, trainSeconds: t,
                        predictRowsPerSecond: speed, scores: score(pred, withRMSE: true)))
        }
    }
}
for threads in [1, 2] {
    let (t, model) = timeTraining(rankingData, parameters(.pairwiseRank, trees: 100, threads: threads))
    let pred = model.predict(rowMajor: heldOut.features)
    emit(Result(model: "hone-rank", trees: 100, threads: threads, busy: false, trainSeconds: t,
                predictRowsPerSecond: threads == 1 ? predictionSpeed(model) : nil, scores: score(pred, withRMSE: false)))
}
