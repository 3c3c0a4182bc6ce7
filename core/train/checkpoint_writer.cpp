#include "train/checkpoint_writer.h"

#include <chrono>
#include <exception>

#include "util/error.h"

namespace scaleout {

CheckpointWriter::~CheckpointWriter() { wait(); }

std::optional<CheckpointWriter::Done> CheckpointWriter::start(std::string path, ModelFile file, long long iteration) {
  std::optional<Done> previous = wait();
  file_ = std::move(file);
  pending_ = std::async(std::launch::async, [this, path = std::move(path), iteration] {
    Done done{path, iteration, ""};
    try {
      writeModelFile(path, file_);
    } catch (const std::exception& e) {
      done.error = e.what();
    }
    return done;
  });
  return previous;
}

std::optional<CheckpointWriter::Done> CheckpointWriter::poll() {
  if (!pending_.valid() || pending_.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return std::nullopt;
  return pending_.get();
}

ModelFile CheckpointWriter::spare() {
  if (pending_.valid() && pending_.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return {};
  return std::move(file_);
}

std::optional<CheckpointWriter::Done> CheckpointWriter::wait() {
  if (!pending_.valid()) return std::nullopt;
  return pending_.get();
}

}  // namespace scaleout
