// The suite's entry points into the Halide pipelines: the same C functions
// for every variant, so the benchmarks look each up by name with dlsym and
// need no Halide header of their own. KERNEL is blur3x3 or harris, VARIANT
// manual, mullapudi2016 or adams2019; rank is 2 (blur3x3) or 3 (harris).
//
//   int hone_halide_KERNEL_VARIANT_region(int H, int W, float *output, int *min, int *extent)
//     The input region the pipeline reads for an H x W output (Halide's
//     bounds query), per dimension innermost first (x, y, then c), in the
//     kernel's coordinates: the whole image, or more when the schedule
//     computes warm-up rows outside it (Adams2019's harris slides a window
//     that starts 16 rows above the image, Halide issue #8140).
//
//   int hone_halide_KERNEL_VARIANT(const float *input, const int *min, const int *extent,
//                                  float *output, int H, int W)
//     Runs the pipeline: input holds the dense region min/extent (x
//     fastest), output the H x W result, row-major.
//
// Both return Halide's status: 0, or an error code after the message was
// printed on stderr.
#include <stdint.h>
#include <stdio.h>

#include "HalideRuntime.h"
#include "halide_blur3x3_adams2019.h"
#include "halide_blur3x3_manual.h"
#include "halide_blur3x3_mullapudi2016.h"
#include "halide_harris_adams2019.h"
#include "halide_harris_manual.h"
#include "halide_harris_mullapudi2016.h"

// The runtime's own handler aborts the process after printing; this one
// only prints, so a failing call returns its error code to the caller.
static void print_error(void *user_context, const char *message) {
    (void)user_context;
    fprintf(stderr, "Halide: %s\n", message);
}

__attribute__((constructor)) static void install_error_handler(void) { halide_set_error_handler(print_error); }

typedef int (*pipeline)(struct halide_buffer_t *, struct halide_buffer_t *);

static halide_buffer_t float_buffer(const float *data, halide_dimension_t *dims, int rank) {
    halide_buffer_t buffer = {0};
    buffer.host = (uint8_t *)data;
    buffer.type.code = halide_type_float;
    buffer.type.bits = 32;
    buffer.type.lanes = 1;
    buffer.dimensions = rank;
    buffer.dim = dims;
    return buffer;
}

static int run(pipeline f, int rank, const float *input, const int *min, const int *extent,
               float *output, int height, int width) {
    halide_dimension_t in_dims[3], out_dims[2] = {{0, width, 1, 0}, {0, height, width, 0}};
    int stride = 1;
    for (int d = 0; d < rank; d++) {
        in_dims[d] = (halide_dimension_t){min[d], extent[d], stride, 0};
        stride *= extent[d];
    }
    halide_buffer_t in = float_buffer(input, in_dims, rank);
    halide_buffer_t out = float_buffer(output, out_dims, 2);
    return f(&in, &out);
}

// A null input makes the call a bounds query: Halide writes the region it
// needs into the input's dimensions and computes nothing.
static int region(pipeline f, int rank, int height, int width, float *output, int *min, int *extent) {
    int image[3] = {width + 2 * (rank - 1), height + 2 * (rank - 1), 3};
    int zero[3] = {0, 0, 0};
    halide_dimension_t in_dims[3], out_dims[2] = {{0, width, 1, 0}, {0, height, width, 0}};
    for (int d = 0, stride = 1; d < rank; d++) {
        in_dims[d] = (halide_dimension_t){zero[d], image[d], stride, 0};
        stride *= image[d];
    }
    halide_buffer_t in = float_buffer(NULL, in_dims, rank);
    halide_buffer_t out = float_buffer(output, out_dims, 2);
    int status = f(&in, &out);
    for (int d = 0; d < rank; d++) {
        min[d] = in_dims[d].min;
        extent[d] = in_dims[d].extent;
    }
    return status;
}

#define ENTRY(KERNEL, VARIANT, RANK)                                                                          \
    int hone_halide_##KERNEL##_##VARIANT(const float *input, const int *min, const int *extent,              \
                                         float *output, int height, int width) {                             \
        return run(halide_##KERNEL##_##VARIANT, RANK, input, min, extent, output, height, width);             \
    }                                                                                                         \
    int hone_halide_##KERNEL##_##VARIANT##_region(int height, int width, float *output, int *min, int *extent) { \
        return region(halide_##KERNEL##_##VARIANT, RANK, height, width, output, min, extent);                 \
    }

ENTRY(blur3x3, manual, 2)
ENTRY(blur3x3, mullapudi2016, 2)
ENTRY(blur3x3, adams2019, 2)
ENTRY(harris, manual, 3)
ENTRY(harris, mullapudi2016, 3)
ENTRY(harris, adams2019, 3)

// The size of the runtime's thread pool, the calling thread included:
// HL_NUM_THREADS when set before the first parallel call, else the CPUs.
int hone_halide_threads(void) { return halide_get_num_threads(); }
