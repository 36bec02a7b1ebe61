internal import CLLVM
import HoneIR

/// Translates one `LoopNest` into an LLVM module:
///
/// ```c
/// void NAME(const float *restrict A, ..., float *restrict OUT);   // the kernel
/// void NAME_packed(void **buffers);                               // the same, arguments in an array
/// void NAME_release_workspace(void);                              // frees the heap buffers kept between calls
/// ```
/// The per-node translation lives in the `CodeGen+*.swift` files. Only this
/// module sees LLVM types.
final class CodeGen {
    let context: LLVMContextRef
    let module: LLVMModuleRef
    let builder: LLVMBuilderRef
    let nest: LoopNest
    /// Where vectorized math functions go.
    let vectorMath: VectorMathLibrary

    var function: LLVMValueRef!
    /// The entry block's first instruction: allocas go before it.
    var entryBlock: LLVMBasicBlockRef!

    /// Values of loop variables and `let` names currently in scope.
    var scalars: [String: LLVMValueRef] = [:]
    /// Base pointers and shapes of the buffers currently in scope.
    var buffers: [String: BufferBinding] = [:]
    /// Set while emitting the body of a vectorized loop.
    var vector: VectorContext?
    /// One per heap allocation site: the buffer it keeps between calls.
    var workspaceSlots: [LLVMValueRef] = []

    struct BufferBinding {
        var base: LLVMValueRef
        var buffer: Buffer
        /// Row-major strides in elements, outermost first.
        var strides: [Int]
    }

    init(nest: LoopNest, context: LLVMContextRef, symbolName: String, vectorMath: VectorMathLibrary) {
        self.context = context
        self.nest = nest
        self.vectorMath = vectorMath
        module = LLVMModuleCreateWithNameInContext(symbolName, context)
        builder = LLVMCreateBuilderInContext(context)
        emitKernelFunction(named: symbolName)
        emitPackedWrapper(named: symbolName + "_packed")
        emitWorkspaceRelease(named: symbolName + "_release_workspace")
    }

    deinit { LLVMDisposeBuilder(builder) }

    /// Hands the module to the caller, who then owns (and disposes) it.
    func takeModule() -> LLVMModuleRef { module }

    // MARK: Types

    lazy var pointerType: LLVMTypeRef = LLVMPointerTypeInContext(context, 0)
    lazy var voidType: LLVMTypeRef = LLVMVoidTypeInContext(context)
    lazy var indexType: LLVMTypeRef = LLVMInt64TypeInContext(context)

    func llvmType(_ type: ScalarType) -> LLVMTypeRef {
        switch type {
        case .bool: LLVMInt1TypeInContext(context)
        case .i32: LLVMInt32TypeInContext(context)
        case .index: LLVMInt64TypeInContext(context)
        case .f32: LLVMFloatTypeInContext(context)
        case .f64: LLVMDoubleTypeInContext(context)
        }
    }

    // MARK: Functions

    private func emitKernelFunction(named name: String) {
        var parameterTypes = [LLVMTypeRef?](repeating: pointerType, count: nest.arguments.count)
        let functionType = LLVMFunctionType(voidType, &parameterTypes, UInt32(parameterTypes.count), 0)
        function = LLVMAddFunction(module, name, functionType)
        addAttribute("nounwind", to: function, at: LLVMAttributeIndex(bitPattern: Int32(LLVMAttributeFunctionIndex)))
        for (i, buffer) in nest.arguments.enumerated() {
            let parameter = LLVMGetParam(function, UInt32(i))!
            LLVMSetValueName2(parameter, buffer.name, buffer.name.utf8.count)
            addAttribute("noalias", to: function, at: UInt32(i + 1))
            addAttribute("nocapture", to: function, at: UInt32(i + 1))
            bind(buffer, base: parameter)
        }
        entryBlock = LLVMAppendBasicBlockInContext(context, function, "entry")
        LLVMPositionBuilderAtEnd(builder, entryBlock)
        emit(nest.body)
        LLVMBuildRetVoid(builder)
    }

    private func emitPackedWrapper(named name: String) {
        var parameterTypes: [LLVMTypeRef?] = [pointerType]
        let functionType = LLVMFunctionType(voidType, &parameterTypes, 1, 0)
        let wrapper = LLVMAddFunction(module, name, functionType)!
        addAttribute("nounwind", to: wrapper, at: LLVMAttributeIndex(bitPattern: Int32(LLVMAttributeFunctionIndex)))
        LLVMPositionBuilderAtEnd(builder, LLVMAppendBasicBlockInContext(context, wrapper, "entry"))
        let array = LLVMGetParam(wrapper, 0)
        var arguments: [LLVMValueRef?] = nest.arguments.indices.map { i in
            var index = [LLVMConstInt(indexType, UInt64(i), 0)]
            let slot = LLVMBuildGEP2(builder, pointerType, array, &index, 1, "")
            return LLVMBuildLoad2(builder, pointerType, slot, nest.arguments[i].name)
        }
        var parameterTypesOfKernel = [LLVMTypeRef?](repeating: pointerType, count: nest.arguments.count)
        let kernelType = LLVMFunctionType(voidType, &parameterTypesOfKernel, UInt32(parameterTypesOfKernel.count), 0)
        LLVMBuildCall2(builder, kernelType, function, &arguments, UInt32(arguments.count), "")
        LLVMBuildRetVoid(builder)
    }

    func addAttribute(_ name: String, to function: LLVMValueRef, at index: LLVMAttributeIndex) {
        let kind = LLVMGetEnumAttributeKindForName(name, name.utf8.count)
        LLVMAddAttributeAtIndex(function, index, LLVMCreateEnumAttribute(context, kind, 0))
    }

    func bind(_ buffer: Buffer, base: LLVMValueRef) {
        var strides = [Int](repeating: 1, count: buffer.shape.count)
        for d in stride(from: buffer.shape.count - 2, through: 0, by: -1) {
            strides[d] = strides[d + 1] * buffer.shape[d + 1]
        }
        buffers[buffer.name] = BufferBinding(base: base, buffer: buffer, strides: strides)
    }

    /// Declares (once) and returns a C library function.
    func libraryFunction(_ name: String, returns result: LLVMTypeRef, _ parameters: [LLVMTypeRef]) -> (LLVMValueRef, LLVMTypeRef) {
        var parameterTypes: [LLVMTypeRef?] = parameters
        let type = LLVMFunctionType(result, &parameterTypes, UInt32(parameters.count), 0)!
        if let existing = LLVMGetNamedFunction(module, name) { return (existing, type) }
        return (LLVMAddFunction(module, name, type), type)
    }
}
