import CDNNL
import Hone

/// Everything one convolution baseline holds on to.
private final class ConvolutionState {
    var calls: [DNNLCall] = []
    var memories: [DNNLMemory] = []
}

/// oneDNN's convolution or deconvolution, three ways: the primitive in the
/// layout oneDNN prefers (`any`) timed with the reorders from and to NCHW,
/// the same primitive alone on its own layout, and a primitive made for NCHW
/// itself (what frameworks create for contiguous NCHW tensors). The
/// constant weights are reordered once, outside any timing.
func convolutionBaselines(_ conv: Convolution, _ inputs: [TensorBuffer], _ context: DNNL) throws -> [Baseline] {
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
    let what = conv.transposed ? "deconvolution" : conv.isDepthwise ? "depthwise convolution" : conv.groups > 1 ? "grouped convolution" : "convolution"

    /// A primitive descriptor with source and destination in `layout`
    /// (any or plain); weights always `any`.
    func primitiveDescriptor(_ layout: dnnl_format_tag_t) throws -> dnnl_primitive_desc_t {
        var src = try memoryDescriptor(srcDims, layout)
        var weights = try memoryDescriptor(weightDims, dnnl_format_tag_any)
        var dst = try memoryDescriptor(dstDims, layout)
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
        if conv.transposed {
            var op = dnnl_deconvolution_desc_t()
            try check(dnnl_dilated_deconvolution_forward_desc_init(&op, dnnl_forward_inference, dnnl_deconvolution_direct, &src, &weights, nil, &dst,
                                                                   strides, dilates, padding, padding), "describe a deconvolution")
            return try BenchSuite.primitiveDescriptor(&op, attributes: attributes, context: context, what: what)
        }
        var op = dnnl_convolution_desc_t()
        try withUnsafeMutablePointer(to: &bias) { biasPointer in
            try check(dnnl_dilated_convolution_forward_desc_init(&op, dnnl_forward_inference, dnnl_convolution_direct, &src, &weights,
                                                                 conv.biasRelu ? biasPointer : nil, &dst, strides, dilates, padding, padding),
                      "describe a convolution")
        }
        return try BenchSuite.primitiveDescriptor(&op, attributes: attributes, context: context, what: what)
    }

    // The kernel's buffers, as oneDNN sees them.
    let userSource = try DNNLMemory(try memoryDescriptor(srcDims, plainTag(rank: rank)), over: inputs[0].pointer, context: context)
    let userWeights = try DNNLMemory(try memoryDescriptor(weightDims, weightTag), over: inputs[1].pointer, context: context)
    let bias = conv.biasRelu ? try DNNLMemory(try memoryDescriptor([conv.filters], dnnl_a), over: inputs[2].pointer, context: context) : nil
    let count = conv.outputCount

    /// The primitive of `pd` on `source` into `output`, with its weights
    /// reordered from the kernel's.
    func primitive(_ pd: dnnl_primitive_desc_t, source: DNNLMemory, output: DNNLMemory, state: ConvolutionState) throws -> DNNLCall {
        let weights = try DNNLMemory(queryDescriptor(pd, dnnl_query_weights_md), context: context)
        try DNNLCall(reorder: userWeights, to: weights, context: context).run()
        var arguments: [(Int32, DNNLMemory)] = [(DNNL_ARG_SRC, source), (DNNL_ARG_WEIGHTS, weights), (DNNL_ARG_DST, output)]
        if let bias { arguments.append((DNNL_ARG_BIAS, bias)) }
        let call = try DNNLCall(descriptor: pd, arguments: arguments, context: context)
        state.memories += [weights, source, output] + (bias.map { [$0] } ?? [])
        state.calls.append(call)
        return call
    }

    var baselines: [Baseline] = []
    // oneDNN's preferred layout.
    let preferred = try primitiveDescriptor(dnnl_format_tag_any)
    defer { dnnl_primitive_desc_destroy(preferred) }
    let state = ConvolutionState()
    let source = try DNNLMemory(queryDescriptor(preferred, dnnl_query_src_md), context: context)
    let output = try DNNLMemory(queryDescriptor(preferred, dnnl_query_dst_md), context: context)
    let userOutput = try DNNLMemory(try memoryDescriptor(dstDims, plainTag(rank: rank)), context: context)
    let call = try primitive(preferred, source: source, output: output, state: state)
    let reorderIn = try DNNLCall(reorder: userSource, to: source, context: context)
    let reorderOut = try DNNLCall(reorder: output, to: userOutput, context: context)
    state.calls += [reorderIn, reorderOut]
    state.memories += [userSource, userWeights, userOutput]
    // Where the primitive takes the kernel's layout itself, no reorder is
    // timed (the input, constant during the run, is copied in once).
    let sourceIsPlain = source.sameLayout(as: userSource.descriptor), outputIsPlain = output.sameLayout(as: userOutput.descriptor)
    reorderIn.run()
    let name = "oneDNN \(what) [\(implementationName(preferred))]"
    baselines.append(Baseline(name: "\(name), NCHW via reorders", owner: state, run: {
        if !sourceIsPlain { reorderIn.run() }
        call.run()
        if !outputIsPlain { reorderOut.run() }
    }, output: { floats(outputIsPlain ? output : userOutput, count) }))
    if sourceIsPlain && outputIsPlain { return baselines }  // the preferred layout is NCHW: one baseline
    baselines.append(Baseline(name: "\(name), own layout", sameLayout: false, owner: state, run: call.run, output: {
        reorderOut.run()
        return floats(userOutput, count)
    }))

    // A primitive for NCHW itself, when oneDNN has one.
    if let nchw = try? primitiveDescriptor(plainTag(rank: rank)) {
        defer { dnnl_primitive_desc_destroy(nchw) }
        let plainState = ConvolutionState()
        let plainOutput = try DNNLMemory(try memoryDescriptor(dstDims, plainTag(rank: rank)), context: context)
        let plainCall = try primitive(nchw, source: userSource, output: plainOutput, state: plainState)
        baselines.append(Baseline(name: "oneDNN \(what) [\(implementationName(nchw))], NCHW primitive", owner: plainState, run: plainCall.run,
                                  output: { floats(plainOutput, count) }))
    }
    return baselines
}
