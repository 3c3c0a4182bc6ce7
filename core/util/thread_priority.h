#pragma once
// Training lanes run a few nice steps below the rest of the process. On a host whose
// cores the lanes fill (a one-core master, a worker with as many lanes as cores), the
// threads that move parameters (the cluster I/O thread, the trainer's averaging, the GUI)
// otherwise wait behind a lane for a scheduler slice, and a remote worker's exchange takes
// that long longer. With idle cores, or with nothing else runnable, nothing changes: the
// scheduler still gives the lanes every cycle nobody else wants.
namespace scaleout {

// Lowers the calling thread's priority by `steps` nice levels (Linux: each thread has
// its own nice value; elsewhere a no-op). Never raises it; failures are ignored.
void lowerThisThreadPriority(int steps);

// The nice steps training lanes run below their process (see above).
inline constexpr int kLaneNiceSteps = 5;

}  // namespace scaleout
