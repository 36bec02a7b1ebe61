// The library a Swift program imports: the kernel language and interpreter
// (HoneIR) and the JIT compiler (HoneCodegen).
@_exported import HoneIR
@_exported import HoneSchedule
@_exported import HoneCodegen
@_exported import HoneMeasure
@_exported import HoneCostModel
@_exported import HoneSearch
