#pragma once
// Writes checkpoints on a helper thread, so the round loop does not wait for the disk
// (issue #13). One write at a time: a new one first waits for the one in progress, so two
// writes never race for the same file. writeModelFile's write-then-rename keeps each
// checkpoint whole if the process dies mid-write.
#include <future>
#include <optional>
#include <string>

#include "io/model_file.h"

namespace scaleout {

class CheckpointWriter {
 public:
  struct Done {
    std::string path;
    long long iteration = 0;
    std::string error;  // empty: written
  };

  CheckpointWriter() = default;
  CheckpointWriter(const CheckpointWriter&) = delete;
  CheckpointWriter& operator=(const CheckpointWriter&) = delete;
  ~CheckpointWriter();

  // Waits for the write in progress (returned, so its outcome is reported), then starts
  // writing `file`, which the writer now owns.
  std::optional<Done> start(std::string path, ModelFile file, long long iteration);
  // The write that has finished since the last call, without waiting.
  std::optional<Done> poll();
  // The write in progress, once it has finished.
  std::optional<Done> wait();
  // The last written file, for the next checkpoint to refill in place (its multi-megabyte
  // vectors are then not allocated again: on the reference MLP a fresh checkpoint's 11 MB
  // were 2,800 page faults, about 25 ms). Empty while a write is in progress, or at first.
  ModelFile spare();

 private:
  ModelFile file_;  // written by the helper thread while pending_ is not ready
  std::future<Done> pending_;
};

}  // namespace scaleout
