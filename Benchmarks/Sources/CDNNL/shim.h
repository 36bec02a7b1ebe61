// oneDNN's C API (Debian's libdnnl-dev 2.6), the library PyTorch and
// TensorFlow call for convolutions on CPUs: a baseline of the suite.
#include <oneapi/dnnl/dnnl.h>
