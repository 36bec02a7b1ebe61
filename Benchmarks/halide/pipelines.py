"""blur3x3 and harris in Halide, computing what Kernels/blur3x3.hone and
Kernels/harris.hone define, and Halide's own CPU schedules for them.

Layout: Hone's row-major tensors seen by Halide with x innermost, so Hone's
img[y, x] is input(x, y) and harris's img[c, y, x] is input(x, y, c). As in
the kernel files, windows start at the output point (offsets 0..2 or 0..4,
never negative): only pixels whose whole window lies inside the image are
computed, and every buffer starts at 0.

Each define_* call makes fresh Funcs, so every variant (hand schedule or an
autoscheduler's) schedules an unscheduled pipeline.
"""
from dataclasses import dataclass

import halide as hl


@dataclass
class Definition:
    """A pipeline before scheduling: its input, its output and the stages
    a hand schedule names."""
    input: hl.ImageParam
    output: hl.Func
    stages: dict
    x: hl.Var
    y: hl.Var


def define_blur3x3(height, width):
    """blur3x3.hone: an (H + 2) x (W + 2) image to an H x W output.
    height and width (H, W) only set the autoschedulers' estimates."""
    x, y = hl.Var("x"), hl.Var("y")
    image = hl.ImageParam(hl.Float(32), 2, "img")
    blur_x, blur_y = hl.Func("blur_x"), hl.Func("blur_y")
    blur_x[x, y] = (image[x, y] + image[x + 1, y] + image[x + 2, y]) / 3.0
    blur_y[x, y] = (blur_x[x, y] + blur_x[x, y + 1] + blur_x[x, y + 2]) / 3.0
    image.dim(0).set_estimate(0, width + 2)
    image.dim(1).set_estimate(0, height + 2)
    blur_y.set_estimate(x, 0, width).set_estimate(y, 0, height)
    return Definition(image, blur_y, {"blur_x": blur_x}, x, y)


def define_harris(height, width):
    """harris.hone: a planar RGB image [3, H + 4, W + 4] to an H x W
    response. height and width (H, W) only set the estimates."""
    x, y = hl.Var("x"), hl.Var("y")
    image = hl.ImageParam(hl.Float(32), 3, "img")
    gray, ix, iy = hl.Func("gray"), hl.Func("Ix"), hl.Func("Iy")
    gray[x, y] = hl.f32(0.299) * image[x, y, 0] + hl.f32(0.587) * image[x, y, 1] + hl.f32(0.114) * image[x, y, 2]
    ix[x, y] = (gray[x + 2, y] - gray[x, y] + 2.0 * (gray[x + 2, y + 1] - gray[x, y + 1])
                + gray[x + 2, y + 2] - gray[x, y + 2]) / 12.0
    iy[x, y] = (gray[x, y + 2] - gray[x, y] + 2.0 * (gray[x + 1, y + 2] - gray[x + 1, y])
                + gray[x + 2, y + 2] - gray[x + 2, y]) / 12.0
    # The products and the 3x3 box sums as separate Funcs, as Halide's app
    # writes them; they are inlined unless a schedule says otherwise.
    ixx, iyy, ixy = hl.Func("Ixx"), hl.Func("Iyy"), hl.Func("Ixy")
    ixx[x, y] = ix[x, y] * ix[x, y]
    iyy[x, y] = iy[x, y] * iy[x, y]
    ixy[x, y] = ix[x, y] * iy[x, y]

    def box3x3(f):
        terms = [f[x + s, y + r] for r in range(3) for s in range(3)]
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return total

    sxx, syy, sxy = hl.Func("Sxx"), hl.Func("Syy"), hl.Func("Sxy")
    sxx[x, y] = box3x3(ixx)
    syy[x, y] = box3x3(iyy)
    sxy[x, y] = box3x3(ixy)
    response = hl.Func("response")
    response[x, y] = (sxx[x, y] * syy[x, y] - sxy[x, y] * sxy[x, y]
                      - hl.f32(0.04) * (sxx[x, y] + syy[x, y]) * (sxx[x, y] + syy[x, y]))
    image.dim(0).set_estimate(0, width + 4)
    image.dim(1).set_estimate(0, height + 4)
    image.dim(2).set_estimate(0, 3)
    response.set_estimate(x, 0, width).set_estimate(y, 0, height)
    return Definition(image, response, {"gray": gray, "Ix": ix, "Iy": iy}, x, y)


def schedule_blur3x3_by_hand(p: Definition, target: hl.Target):
    """The CPU branch of Halide's apps/blur/halide_blur_generator.cpp:
    strips of 8 rows in parallel, blur_x computed per row of the strip and
    kept for the strip (a sliding window), both vectorized by 8. (The app
    blurs uint16 and pins its buffers to 64-byte multiples; the schedule is
    the same, and 8 floats are one AVX2 vector.)"""
    yi = hl.Var("yi")
    out, blur_x = p.output, p.stages["blur_x"]
    out.split(p.y, p.y, yi, 8).parallel(p.y).vectorize(p.x, 8)
    blur_x.store_at(out, p.y).compute_at(out, yi).vectorize(p.x, 8)


def schedule_harris_by_hand(p: Definition, target: hl.Target):
    """The CPU branch of Halide's apps/harris/harris_generator.cpp: strips
    of 32 rows in parallel; gray, Ix and Iy computed per row of the strip
    and kept for the strip, Ix fused with Iy; everything vectorized by the
    target's natural float vector; the products and box sums inlined."""
    yi = hl.Var("yi")
    vec = target.natural_vector_size(hl.Float(32))
    out, s = p.output, p.stages
    out.split(p.y, p.y, yi, 32).parallel(p.y).vectorize(p.x, vec)
    for name in ("gray", "Ix", "Iy"):
        s[name].store_at(out, p.y).compute_at(out, yi).vectorize(p.x, vec)
    s["Ix"].compute_with(s["Iy"], p.x)


PIPELINES = {
    "blur3x3": (define_blur3x3, schedule_blur3x3_by_hand),
    "harris": (define_harris, schedule_harris_by_hand),
}
