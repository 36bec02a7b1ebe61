internal import CLLVM

/// The LLVM optimization level a kernel is compiled at: the pass pipeline
/// and the machine-code level that clang pairs with it. Everything Hone
/// writes out (`hone compile`, a tune's object file) and every time a tune
/// ships is compiled at `o3`; a search may rank its candidates with a
/// cheaper level (`TrialPolicy.pipeline`).
public enum CompilePipeline: String, Sendable, Hashable, Codable, CaseIterable {
    case o3, o2, o1

    /// The new pass manager's pipeline text.
    var passes: String {
        switch self {
        case .o3: "default<O3>"
        case .o2: "default<O2>"
        case .o1: "default<O1>"
        }
    }

    var machineCodeLevel: LLVMCodeGenOptLevel {
        switch self {
        case .o3: LLVMCodeGenLevelAggressive
        case .o2: LLVMCodeGenLevelDefault
        case .o1: LLVMCodeGenLevelLess
        }
    }
}
