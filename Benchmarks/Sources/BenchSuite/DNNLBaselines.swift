import CDNNL
import Hone

/// oneDNN's dnnl_sgemm (row-major) for matmuls.
func dnnlSgemmBaselines(_ operation: Operation, _ inputs: [TensorBuffer]) throws -> [Baseline] {
    switch operation {
    case .matmul(let batch, let m, let n, let k):
        let (a, b) = (inputs[0].floats, inputs[1].floats)
        let c = FloatBuffer(count: batch * m * n)
        return [Baseline(name: "oneDNN sgemm", owner: c, run: {
            for i in 0..<batch {
                _ = dnnl_sgemm(78, 78, Int64(m), Int64(n), Int64(k), 1, a + i * m * k, Int64(k), b + i * k * n, Int64(n), 0, c.pointer + i * m * n, Int64(n))
            }
        }, output: { c.values })]
    case .transposedHeadsMatmul(let heads, let length, let size):
        let (q, key) = (inputs[0].floats, inputs[1].floats)
        let scores = FloatBuffer(count: heads * length * length)
        let stride = Int64(heads * size)
        return [Baseline(name: "oneDNN sgemm per head", owner: scores, run: {
            for h in 0..<heads {
                // 78 = 'N', 84 = 'T': scores_h = query_h key_h^T.
                _ = dnnl_sgemm(78, 84, Int64(length), Int64(length), Int64(size), 1, q + h * size, stride, key + h * size, stride,
                               0, scores.pointer + h * length * length, Int64(length))
            }
        }, output: { scores.values })]
    default:
        throw HoneError("dnnl_sgemm applies to matmuls only")
    }
}

/// oneDNN's primitives: convolution and deconvolution (two ways: the
/// kernel's NCHW layout with the reorders inside the timed call, and
/// oneDNN's preferred layout, the primitive alone), softmax, layer
/// normalization, the L2-norm reduction, pooling and the binary addition
/// with a ReLU post-op.
func dnnlPrimitiveBaselines(_ operation: Operation, _ inputs: [TensorBuffer]) throws -> [Baseline] {
    let context = try DNNL.shared()
    switch operation {
    case .convolution(let conv): return try convolutionBaselines(conv, inputs, context)
    case .softmax(let rows, let columns):
        var data = try memoryDescriptor([rows, columns], dnnl_ab)
        var op = dnnl_softmax_desc_t()
        try check(dnnl_softmax_forward_desc_init(&op, dnnl_forward_inference, &data, 1), "describe a softmax")
        let pd = try primitiveDescriptor(&op, context: context, what: "softmax")
        defer { dnnl_primitive_desc_destroy(pd) }
        let source = try DNNLMemory(data, over: inputs[0].pointer, context: context)
        let destination = try DNNLMemory(data, context: context)
        let call = try DNNLCall(descriptor: pd, arguments: [(DNNL_ARG_SRC, source), (DNNL_ARG_DST, destination)], context: context)
        return [Baseline(name: "oneDNN softmax", owner: call, run: call.run, output: { floats(destination, rows * columns) })]
    case .layerNorm(let rows, let columns):
        var data = try memoryDescriptor([rows, columns], dnnl_ab)
        var op = dnnl_layer_normalization_desc_t()
        let flags = UInt32(dnnl_use_scale.rawValue | dnnl_use_shift.rawValue)
        try check(dnnl_layer_normalization_forward_desc_init(&op, dnnl_forward_inference, &data, nil, 1e-5, flags), "describe a layer normalization")
        let pd = try primitiveDescriptor(&op, context: context, what: "layer normalization")
        defer { dnnl_primitive_desc_destroy(pd) }
        let vector = try memoryDescriptor([columns], dnnl_a)
        let source = try DNNLMemory(data, over: inputs[0].pointer, context: context)
        let scale = try DNNLMemory(vector, over: inputs[1].pointer, context: context)
        let shift = try DNNLMemory(vector, over: inputs[2].pointer, context: context)
        let destination = try DNNLMemory(data, context: context)
        let call = try DNNLCall(descriptor: pd, arguments: [(DNNL_ARG_SRC, source), (DNNL_ARG_SCALE, scale), (DNNL_ARG_SHIFT, shift),
                                                            (DNNL_ARG_DST, destination)], context: context)
        return [Baseline(name: "oneDNN layer normalization", owner: call, run: call.run, output: { floats(destination, rows * columns) })]
    case .norm(let count):
        var source = try memoryDescriptor([1, count], dnnl_ab)
        var result = try memoryDescriptor([1, 1], dnnl_ab)
        var op = dnnl_reduction_desc_t()
        try check(dnnl_reduction_desc_init(&op, dnnl_reduction_norm_lp_sum, &source, &result, 2, 0), "describe an L2-norm reduction")
        let pd = try primitiveDescriptor(&op, context: context, what: "L2-norm reduction")
        defer { dnnl_primitive_desc_destroy(pd) }
        let input = try DNNLMemory(source, over: inputs[0].pointer, context: context)
        let output = try DNNLMemory(result, context: context)
        let call = try DNNLCall(descriptor: pd, arguments: [(DNNL_ARG_SRC, input), (DNNL_ARG_DST, output)], context: context)
        return [Baseline(name: "oneDNN reduction (L2 norm)", owner: call, run: call.run, output: { floats(output, 1) })]
    case .pooling(let pooling): return [try poolingBaseline(pooling, inputs, context)]
    case .addRelu(let shape): return [try addReluBaseline(shape, inputs, context)]
    case .matmul, .transposedHeadsMatmul:
        throw HoneError("use dnnl_sgemm for matmuls")
    }
}

func floats(_ memory: DNNLMemory, _ count: Int) -> [Float] {
    Array(UnsafeBufferPointer(start: memory.pointer.assumingMemoryBound(to: Float.self), count: count))
}
