// OpenBLAS's CBLAS interface (Debian's libopenblas-dev), the baseline the
// benchmarks compare Hone's generated code with.
#include <cblas.h>
void openblas_set_num_threads(int num_threads);
