import CDNNL
import Hone

/// oneDNN's CPU engine and a stream on it, created once per process.
final class DNNL: @unchecked Sendable {
    nonisolated(unsafe) static var sharedContext: DNNL?
    let engine: dnnl_engine_t
    let stream: dnnl_stream_t

    static func shared() throws -> DNNL {
        if let context = sharedContext { return context }
        var engine: dnnl_engine_t?
        try check(dnnl_engine_create(&engine, dnnl_cpu, 0), "create the CPU engine")
        var stream: dnnl_stream_t?
        try check(dnnl_stream_create(&stream, engine, UInt32(dnnl_stream_default_flags.rawValue)), "create a stream")
        let context = DNNL(engine: engine!, stream: stream!)
        sharedContext = context
        return context
    }

    private init(engine: dnnl_engine_t, stream: dnnl_stream_t) {
        self.engine = engine
        self.stream = stream
    }

    /// "2.6.3"
    static var version: String {
        guard let v = dnnl_version() else { return "unknown" }
        return "\(v.pointee.major).\(v.pointee.minor).\(v.pointee.patch)"
    }
}

func check(_ status: dnnl_status_t, _ what: String) throws {
    guard status == dnnl_success else { throw HoneError("oneDNN cannot \(what) (status \(status.rawValue))") }
}

/// A plain f32 memory descriptor (`tag`) or one the primitive chooses (`any`).
func memoryDescriptor(_ dims: [Int], _ tag: dnnl_format_tag_t) throws -> dnnl_memory_desc_t {
    var md = dnnl_memory_desc_t()
    try check(dnnl_memory_desc_init_by_tag(&md, Int32(dims.count), dims.map { Int64($0) }, dnnl_f32, tag), "describe a \(dims) tensor")
    return md
}

/// The row-major tag for `rank` dimensions (abc..., which oneDNN also calls
/// nchw, oihw and so on).
func plainTag(rank: Int) -> dnnl_format_tag_t {
    [dnnl_a, dnnl_ab, dnnl_abc, dnnl_abcd, dnnl_abcde, dnnl_abcdef][rank - 1]
}

/// A oneDNN memory object over memory it owns or memory it is lent.
final class DNNLMemory {
    var descriptor: dnnl_memory_desc_t
    let memory: dnnl_memory_t
    let pointer: UnsafeMutableRawPointer
    private let owned: Bool

    /// Memory of its own, sized for `descriptor`.
    init(_ descriptor: dnnl_memory_desc_t, context: DNNL) throws {
        var local = descriptor
        let bytes = max(dnnl_memory_desc_get_size(&local), 4)
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        var memory: dnnl_memory_t?
        let status = dnnl_memory_create(&memory, &local, context.engine, pointer)
        guard status == dnnl_success else {
            pointer.deallocate()
            throw HoneError("oneDNN cannot create memory (status \(status.rawValue))")
        }
        self.descriptor = descriptor
        self.pointer = pointer
        self.memory = memory!
        owned = true
    }

    /// A view of `pointer` (not owned), laid out as `descriptor`.
    init(_ descriptor: dnnl_memory_desc_t, over pointer: UnsafeMutableRawPointer, context: DNNL) throws {
        var local = descriptor
        var memory: dnnl_memory_t?
        try check(dnnl_memory_create(&memory, &local, context.engine, pointer), "create memory")
        self.descriptor = descriptor
        self.pointer = pointer
        self.memory = memory!
        owned = false
    }

    deinit {
        dnnl_memory_destroy(memory)
        if owned { pointer.deallocate() }
    }

    func sameLayout(as other: dnnl_memory_desc_t) -> Bool {
        var other = other
        return withUnsafePointer(to: &descriptor) { a in withUnsafePointer(to: &other) { b in dnnl_memory_desc_equal(a, b) != 0 } }
    }
}

/// A primitive and the arguments it runs with.
final class DNNLCall {
    let primitive: dnnl_primitive_t
    let arguments: [dnnl_exec_arg_t]
    let context: DNNL
    /// The memories the arguments name, kept alive.
    private let memories: [DNNLMemory]

    init(descriptor: dnnl_primitive_desc_t, arguments: [(Int32, DNNLMemory)], context: DNNL) throws {
        var primitive: dnnl_primitive_t?
        try check(dnnl_primitive_create(&primitive, descriptor), "create a primitive")
        self.primitive = primitive!
        self.arguments = arguments.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1.memory) }
        self.memories = arguments.map(\.1)
        self.context = context
    }

    /// A reorder from one memory to another (layout conversion).
    convenience init(reorder source: DNNLMemory, to destination: DNNLMemory, context: DNNL) throws {
        var descriptor: dnnl_primitive_desc_t?
        try check(withUnsafePointer(to: &source.descriptor) { s in
            withUnsafePointer(to: &destination.descriptor) { d in
                dnnl_reorder_primitive_desc_create(&descriptor, s, context.engine, d, context.engine, nil)
            }
        }, "create a reorder")
        defer { dnnl_primitive_desc_destroy(descriptor) }
        try self.init(descriptor: descriptor!, arguments: [(DNNL_ARG_FROM, source), (DNNL_ARG_TO, destination)], context: context)
    }

    deinit { dnnl_primitive_destroy(primitive) }

    /// Runs to completion.
    func run() {
        let status = arguments.withUnsafeBufferPointer { dnnl_primitive_execute(primitive, context.stream, Int32($0.count), $0.baseAddress) }
        precondition(status == dnnl_success, "oneDNN failed to execute a primitive it created (status \(status.rawValue))")
        dnnl_stream_wait(context.stream)
    }
}

/// Creates a primitive descriptor for an operation descriptor (a
/// convolution, softmax, ... descriptor struct).
func primitiveDescriptor<Op>(_ op: inout Op, attributes: dnnl_primitive_attr_t? = nil, context: DNNL, what: String) throws -> dnnl_primitive_desc_t {
    var descriptor: dnnl_primitive_desc_t?
    try check(withUnsafePointer(to: &op) { dnnl_primitive_desc_create(&descriptor, UnsafeRawPointer($0), attributes, context.engine, nil) },
              "create a primitive descriptor for \(what)")
    return descriptor!
}

func queryDescriptor(_ pd: dnnl_primitive_desc_t, _ what: dnnl_query_t) -> dnnl_memory_desc_t {
    dnnl_primitive_desc_query_md(pd, what, 0).pointee
}

/// The implementation oneDNN chose, e.g. "brgconv:avx512_core".
func implementationName(_ pd: dnnl_primitive_desc_t) -> String {
    var name: UnsafePointer<CChar>?
    guard dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name) == dnnl_success, let name else { return "?" }
    return String(cString: name)
}

/// The oneDNN version the baselines link, e.g. "2.6.3".
public func oneDNNVersion() -> String { DNNL.version }
