#include "util/blas_threads.h"

extern "C" {
void openblas_set_num_threads(int);
int openblas_get_num_threads(void);
}

namespace scaleout {
void limitBlasThreadsToOne() { openblas_set_num_threads(1); }
int blasThreads() { return openblas_get_num_threads(); }
}  // namespace scaleout
