import CDNNL
import Hone

/// oneDNN's pooling primitive on the kernel's NCHW layout (max, or an
/// average over the whole window).
func poolingBaseline(_ pooling: Pooling, _ inputs: [TensorBuffer], _ context: DNNL) throws -> Baseline {
    let rank = 2 + pooling.input.count
    var source = try memoryDescriptor([pooling.batch, pooling.channels] + pooling.input, plainTag(rank: rank))
    var destination = try memoryDescriptor([pooling.batch, pooling.channels] + pooling.output, plainTag(rank: rank))
    let spatial = pooling.input.count
    let strides = Array(repeating: Int64(pooling.stride), count: spatial)
    let window = pooling.window.map { Int64($0) }
    let padding = Array(repeating: Int64(pooling.padding), count: spatial)
    var op = dnnl_pooling_desc_t()
    let algorithm = pooling.average ? dnnl_pooling_avg_include_padding : dnnl_pooling_max
    try check(dnnl_pooling_forward_desc_init(&op, dnnl_forward_inference, algorithm, &source, &destination, strides, window, padding, padding),
              "describe a pooling")
    let what = pooling.average ? "average pooling" : "max pooling"
    let pd = try primitiveDescriptor(&op, context: context, what: what)
    defer { dnnl_primitive_desc_destroy(pd) }
    let input = try DNNLMemory(source, over: inputs[0].pointer, context: context)
    let output = try DNNLMemory(destination, context: context)
    let call = try DNNLCall(descriptor: pd, arguments: [(DNNL_ARG_SRC, input), (DNNL_ARG_DST, output)], context: context)
    let count = pooling.outputCount
    return Baseline(name: "oneDNN \(what) [\(implementationName(pd))]", owner: call, run: call.run, output: { floats(output, count) })
}

/// oneDNN's binary addition with a ReLU post-op, NCHW in and out.
func addReluBaseline(_ shape: [Int], _ inputs: [TensorBuffer], _ context: DNNL) throws -> Baseline {
    var data = try memoryDescriptor(shape, plainTag(rank: shape.count))
    var op = dnnl_binary_desc_t()
    try check(withUnsafePointer(to: &data) { d in dnnl_binary_desc_init(&op, dnnl_binary_add, d, d, d) }, "describe a binary addition")
    var attributes: dnnl_primitive_attr_t?
    try check(dnnl_primitive_attr_create(&attributes), "create attributes")
    defer { dnnl_primitive_attr_destroy(attributes) }
    var postOps: dnnl_post_ops_t?
    try check(dnnl_post_ops_create(&postOps), "create post-ops")
    defer { dnnl_post_ops_destroy(postOps) }
    try check(dnnl_post_ops_append_eltwise(postOps, 1, dnnl_eltwise_relu, 0, 0), "append ReLU")
    try check(dnnl_primitive_attr_set_post_ops(attributes, postOps), "set post-ops")
    let pd = try primitiveDescriptor(&op, attributes: attributes, context: context, what: "binary addition")
    defer { dnnl_primitive_desc_destroy(pd) }
    let a = try DNNLMemory(data, over: inputs[0].pointer, context: context)
    let b = try DNNLMemory(data, over: inputs[1].pointer, context: context)
    let output = try DNNLMemory(data, context: context)
    let call = try DNNLCall(descriptor: pd, arguments: [(DNNL_ARG_SRC_0, a), (DNNL_ARG_SRC_1, b), (DNNL_ARG_DST, output)], context: context)
    let count = shape.reduce(1, *)
    return Baseline(name: "oneDNN binary add + ReLU [\(implementationName(pd))]", owner: call, run: call.run, output: { floats(output, count) })
}
