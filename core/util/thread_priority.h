#pragma once
// Training threads run a little below the threads that coordinate them (the master's
// round loop, the cluster's I/O, the GUI). On a machine whose cores all train, a
// coordinating thread that wakes up (a remote worker's result arrived, a round's average
// is due) then runs at once instead of sharing its core half and half with a training
// thread, which doubled the time a remote worker waited between rounds on a one-core host.
namespace scaleout {

// Lowers the calling thread's priority by `steps` nice levels (Linux: per thread). Best
// effort: a failure changes nothing else.
void lowerThisThreadPriority(int steps = 5);

}  // namespace scaleout
