#pragma once
// Iterative reduce parallelises over workers; BLAS threads on top would oversubscribe
// the cores. Called once before training.
namespace scaleout {
void limitBlasThreadsToOne();
int blasThreads();
}  // namespace scaleout
