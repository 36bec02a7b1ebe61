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
/// normalization and the L2-norm reduction.
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
    case .matmul, .transposedHeadsMatmul:
        throw HoneError("use dnnl_sgemm for matmuls")
    }
}

private func floats(_ memory: DNNLMemory, _ count: Int) -> [Float] {
    Array(UnsafeBufferPointer(start: memory.pointer.assumingMemoryBound(to: Float.self), count: count))
}

/// Everything one convolution baseline holds on to.
private final class ConvolutionState {
    var calls: [DNNLCall] = []
    var memories: [DNNLMemory] = []
}

private func convolutionBaselines(_ conv: Convolution, _ inputs: [TensorBuffer], _ context: DNNL) throws -> [Baseline] {
    let rank = 2 + conv.input.count
    let k = conv.window
    // The kernels' weight layouts: [F, C/G, window] (goi... when grouped),
    // or [C, F, window] for a transposed convolution, which oneDNN calls
    // iohw (its deconvolution weights are dims {F, C, window}).
    let weightDims: [Int], weightTag: dnnl_format_tag_t
    if conv.transposed {
        guard conv.input.count == 2, conv.groups == 1 else { throw HoneError("the oneDNN deconvolution baseline takes 2-D, ungrouped convolutions") }
        weightDims = [conv.filters, conv.channels] + k
        weightTag = dnnl_iohw
    } else if conv.groups > 1 {
        weightDims = [conv.groups, conv.filters / conv.groups, conv.channels / conv.groups] + k
        weightTag = plainTag(rank: rank + 1)
    } else {
        weightDims = [conv.filters, conv.channels] + k
        weightTag = plainTag(rank: rank)
    }
    let srcDims = [conv.batch, conv.channels] + conv.input
    let dstDims = [conv.batch, conv.filters] + conv.output
    var src = try memoryDescriptor(srcDims, dnnl_format_tag_any)
    var weights = try memoryDescriptor(weightDims, dnnl_format_tag_any)
    var dst = try memoryDescriptor(dstDims, dnnl_format_tag_any)
    var bias = try memoryDescriptor([conv.filters], dnnl_a)
    let spatial = conv.input.count
    let strides = Array(repeating: Int64(conv.stride), count: spatial)
    let dilates = Array(repeating: Int64(conv.dilation - 1), count: spatial)  // oneDNN counts the gaps
    let padding = Array(repeating: Int64(conv.padding), count: spatial)
    var attributes: dnnl_primitive_attr_t?
    try check(dnnl_primitive_attr_create(&attributes), "create attributes")
    defer { dnnl_primitive_attr_destroy(attributes) }
    if conv.biasRelu {
        var postOps: dnnl_post_ops_t?
        try check(dnnl_post_ops_create(&postOps), "create post-ops")
        defer { dnnl_post_ops_destroy(postOps) }
        try check(dnnl_post_ops_append_eltwise(postOps, 1, dnnl_eltwise_relu, 0, 0), "append ReLU")
        try check(dnnl_primitive_attr_set_post_ops(attributes, postOps), "set post-ops")
    }
    let pd: dnnl_primitive_desc_t
    let what: String
    if conv.transposed {
        var op = dnnl_deconvolution_desc_t()
        try check(dnnl_dilated_deconvolution_forward_desc_init(&op, dnnl_forward_inference, dnnl_deconvolution_direct, &src, &weights, nil, &dst,
                                                               strides, dilates, padding, padding), "describe a deconvolution")
        what = "deconvolution"
        pd = try primitiveDescriptor(&op, attributes: attributes, context: context, what: what)
    } else {
        var op = dnnl_convolution_desc_t()
        try withUnsafeMutablePointer(to: &bias) { biasPointer in
            try check(dnnl_dilated_convolution_forward_desc_init(&op, dnnl_forward_inference, dnnl_convolution_direct, &src, &weights,
                                                                 conv.biasRelu ? biasPointer : nil, &dst, strides, dilates, padding, padding),
                      "describe a convolution")
        }
        what = conv.isDepthwise ? "depthwise convolution" : conv.groups > 1 ? "grouped convolution" : "convolution"
        pd = try primitiveDescriptor(&op, attributes: attributes, context: context, what: what)
    }
    defer { dnnl_primitive_desc_destroy(pd) }
    let implementation = implementationName(pd)

    let state = ConvolutionState()
    // The kernel's buffers, as oneDNN sees them.
    let userSource = try DNNLMemory(try memoryDescriptor(srcDims, plainTag(rank: rank)), over: inputs[0].pointer, context: context)
    let userWeights = try DNNLMemory(try memoryDescriptor(weightDims, weightTag), over: inputs[1].pointer, context: context)
    let userOutput = try DNNLMemory(try memoryDescriptor(dstDims, plainTag(rank: rank)), context: context)
    // The primitive's layouts.
    let source = try DNNLMemory(queryDescriptor(pd, dnnl_query_src_md), context: context)
    let primitiveWeights = try DNNLMemory(queryDescriptor(pd, dnnl_query_weights_md), context: context)
    let output = try DNNLMemory(queryDescriptor(pd, dnnl_query_dst_md), context: context)
    // Weights are constant: reordered once, outside any timing.
    try DNNLCall(reorder: userWeights, to: primitiveWeights, context: context).run()
    var arguments: [(Int32, DNNLMemory)] = [(DNNL_ARG_SRC, source), (DNNL_ARG_WEIGHTS, primitiveWeights), (DNNL_ARG_DST, output)]
    if conv.biasRelu { arguments.append((DNNL_ARG_BIAS, try DNNLMemory(bias, over: inputs[2].pointer, context: context))) }
    let primitive = try DNNLCall(descriptor: pd, arguments: arguments, context: context)
    let reorderIn = try DNNLCall(reorder: userSource, to: source, context: context)
    let reorderOut = try DNNLCall(reorder: output, to: userOutput, context: context)
    state.calls = [primitive, reorderIn, reorderOut]
    state.memories = [userSource, userWeights, userOutput, source, primitiveWeights, output]
    // Where the primitive takes the kernel's layout itself, no reorder is
    // timed (the input, constant during the run, is copied in once).
    let sourceIsPlain = source.sameLayout(as: userSource.descriptor), outputIsPlain = output.sameLayout(as: userOutput.descriptor)
    reorderIn.run()
    let count = conv.outputCount
    let name = "oneDNN \(what) [\(implementation)]"
    let plain = Baseline(name: "\(name), NCHW in and out", owner: state, run: {
        if !sourceIsPlain { reorderIn.run() }
        primitive.run()
        if !outputIsPlain { reorderOut.run() }
    }, output: { floats(outputIsPlain ? output : userOutput, count) })
    if sourceIsPlain && outputIsPlain { return [plain] }  // the preferred layout is NCHW: one baseline
    let own = Baseline(name: "\(name), own layout", sameLayout: false, owner: state, run: primitive.run, output: {
        reorderOut.run()
        return floats(userOutput, count)
    })
    return [plain, own]
}
