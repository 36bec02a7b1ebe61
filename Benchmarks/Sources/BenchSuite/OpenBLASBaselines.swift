import COpenBLAS
import Hone

/// OpenBLAS: cblas_sgemm for matmuls (and cblas_sgemv for a product with
/// a vector, as numpy's `A @ x`), im2col + sgemm for convolutions (one
/// sgemm per group), sgemm + col2im for transposed convolutions, snrm2 for
/// the norm.
func openBLASBaselines(_ operation: Operation, _ inputs: [TensorBuffer]) throws -> [Baseline] {
    switch operation {
    case .matmul(let batch, let m, let n, let k):
        let (a, b) = (inputs[0].floats, inputs[1].floats)
        let c = FloatBuffer(count: batch * m * n)
        let sgemm = Baseline(name: "OpenBLAS sgemm", owner: c, run: {
            for i in 0..<batch {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1,
                            a + i * m * k, Int32(k), b + i * k * n, Int32(n), 0, c.pointer + i * m * n, Int32(n))
            }
        }, output: { c.values })
        guard n == 1 else { return [sgemm] }
        let y = FloatBuffer(count: batch * m)
        return [sgemm, Baseline(name: "OpenBLAS sgemv", owner: y, run: {
            for i in 0..<batch {
                cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(m), Int32(k), 1, a + i * m * k, Int32(k), b + i * k, 1, 0, y.pointer + i * m, 1)
            }
        }, output: { y.values })]
    case .transposedHeadsMatmul(let heads, let length, let size):
        let (q, key) = (inputs[0].floats, inputs[1].floats)
        let scores = FloatBuffer(count: heads * length * length)
        let stride = Int32(heads * size)  // query and key rows hold every head
        return [Baseline(name: "OpenBLAS sgemm per head", owner: scores, run: {
            for h in 0..<heads {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(length), Int32(length), Int32(size), 1,
                            q + h * size, stride, key + h * size, stride, 0, scores.pointer + h * length * length, Int32(length))
            }
        }, output: { scores.values })]
    case .convolution(let conv) where conv.transposed:
        return [try col2imBaseline(conv, inputs)]
    case .convolution(let conv):
        guard !conv.isDepthwise else { throw HoneError("im2col + sgemm does not apply to a depthwise convolution (one row per sgemm)") }
        return [try im2colBaseline(conv, inputs)]
    case .norm(let count):
        let a = inputs[0].floats
        let box = FloatBuffer(count: 1)
        return [Baseline(name: "OpenBLAS snrm2", owner: box, run: {
            box.pointer[0] = cblas_snrm2(Int32(count), a, 1)
        }, output: { box.values })]
    case .softmax, .layerNorm, .pooling, .addRelu:
        throw HoneError("OpenBLAS has no softmax, layer normalization, pooling or elementwise operations")
    }
}

/// im2col (timed) then one sgemm per group: weights [F, C/G * window] times
/// columns [C/G * window, output points] for each group.
private func im2colBaseline(_ conv: Convolution, _ inputs: [TensorBuffer]) throws -> Baseline {
    guard conv.batch == 1 else { throw HoneError("the im2col baseline takes batch 1") }
    let (x, w) = (inputs[0].floats, inputs[1].floats)
    let bias = conv.biasRelu ? inputs[2].floats : nil
    let points = conv.output.reduce(1, *)
    let rows = conv.channels * conv.windowSize
    let columns = FloatBuffer(count: rows * points)
    let y = FloatBuffer(count: conv.outputCount)
    let (channelsPerGroup, filtersPerGroup) = (conv.channels / conv.groups, conv.filters / conv.groups)
    let groupRows = channelsPerGroup * conv.windowSize
    return Baseline(name: conv.groups > 1 ? "OpenBLAS im2col + sgemm per group" : "OpenBLAS im2col + sgemm", owner: [columns, y] as AnyObject, run: {
        im2col(conv, x, columns.pointer)
        for g in 0..<conv.groups {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(filtersPerGroup), Int32(points), Int32(groupRows), 1,
                        w + g * filtersPerGroup * groupRows, Int32(groupRows), columns.pointer + g * groupRows * points, Int32(points),
                        0, y.pointer + g * filtersPerGroup * points, Int32(points))
        }
        if let bias {
            for f in 0..<conv.filters {
                let row = y.pointer + f * points, b = bias[f]
                for i in 0..<points { row[i] = max(row[i] + b, 0) }
            }
        }
    }, output: { y.values })
}

/// The im2col matrix of a batch-1 convolution: row (c, window point), column
/// (output point) holds the input under that window point, or 0 in the padding.
/// Spatial axes are padded at the front to three (size 1, window 1, no
/// padding), so one loop nest serves 1-D, 2-D and 3-D.
func im2col(_ conv: Convolution, _ x: UnsafePointer<Float>, _ columns: UnsafeMutablePointer<Float>) {
    let lead = 3 - conv.input.count
    let input = Array(repeating: 1, count: lead) + conv.input
    let window = Array(repeating: 1, count: lead) + conv.window
    let output = Array(repeating: 1, count: lead) + conv.output
    let pad = Array(repeating: 0, count: lead) + Array(repeating: conv.padding, count: conv.input.count)
    let (s, d) = (conv.stride, conv.dilation)
    let points = output[0] * output[1] * output[2]
    var row = columns
    for c in 0..<conv.channels {
        let plane = x + c * input[0] * input[1] * input[2]
        for kz in 0..<window[0] {
            for ky in 0..<window[1] {
                for kx in 0..<window[2] {
                    var out = row
                    for oz in 0..<output[0] {
                        let iz = oz * s + kz * d - pad[0]
                        for oy in 0..<output[1] {
                            let iy = oy * s + ky * d - pad[1]
                            let rowInside = iz >= 0 && iz < input[0] && iy >= 0 && iy < input[1]
                            let source = plane + (iz * input[1] + iy) * input[2]
                            for ox in 0..<output[2] {
                                let ix = ox * s + kx * d - pad[2]
                                out[ox] = rowInside && ix >= 0 && ix < input[2] ? source[ix] : 0
                            }
                            out += output[2]
                        }
                    }
                    row += points
                }
            }
        }
    }
}

/// A transposed convolution as Caffe computes it: columns = W^T X (one sgemm:
/// [F * window, C] x [C, input points]), then col2im scatters each column
/// into the output it touches.
private func col2imBaseline(_ conv: Convolution, _ inputs: [TensorBuffer]) throws -> Baseline {
    guard conv.batch == 1, conv.input.count == 2, conv.groups == 1, conv.dilation == 1 else {
        throw HoneError("the col2im baseline takes batch-1 2-D transposed convolutions without groups or dilation")
    }
    let (x, w) = (inputs[0].floats, inputs[1].floats)
    let (h, wi, k, s, p) = (conv.input[0], conv.input[1], conv.window[0], conv.stride, conv.padding)
    let (oh, ow) = (conv.output[0], conv.output[1])
    let rows = conv.filters * k * k, points = h * wi
    let columns = FloatBuffer(count: rows * points)
    let y = FloatBuffer(count: conv.outputCount)
    return Baseline(name: "OpenBLAS sgemm + col2im", owner: [columns, y] as AnyObject, run: {
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(rows), Int32(points), Int32(conv.channels), 1,
                    w, Int32(rows), x, Int32(points), 0, columns.pointer, Int32(points))
        y.pointer.update(repeating: 0, count: conv.outputCount)
        for f in 0..<conv.filters {
            let plane = y.pointer + f * oh * ow
            for r in 0..<k {
                for c in 0..<k {
                    let column = columns.pointer + ((f * k + r) * k + c) * points
                    for iy in 0..<h {
                        let oy = iy * s - p + r
                        guard oy >= 0 && oy < oh else { continue }
                        for ix in 0..<wi {
                            let ox = ix * s - p + c
                            if ox >= 0 && ox < ow { plane[oy * ow + ox] += column[iy * wi + ix] }
                        }
                    }
                }
            }
        }
    }, output: { y.values })
}
