#pragma once
// Model and checkpoint files: one versioned binary format (see docs/model-format.md).
//
//   offset  size  field
//   0       8     magic "SCALEOUT"
//   8       4     format version (u32, little-endian; this build reads 1 and 2, and writes 2
//                   only for a checkpoint that holds an outer velocity, so other files stay 1)
//   12      4     flags (bit 0: a training state follows the parameters)
//   16      8+n   conf as JSON (u64 length, UTF-8 bytes)
//   ..      8+n   normalizer as JSON (mode, offset, scale; optional classNames, below)
//   ..      8+4p  parameters (u64 count p, p x float32)
//   [state] 8+n   training state as JSON (phase, epoch, iteration, rng, steering)
//           8+4v  momentum buffer; 8+4a AdaGrad buffer; 8+4r remaining row indices (u32)
//   [v2 state] 8+4o  the outer optimizer's velocity (outerMomentum)
//   end-4   4     CRC-32 (zlib) of every byte before it
//
// classNames (the training data's label names) rides in the normalizer's JSON as an
// optional key: both describe the training data, files without it still read, and
// builds that do not know it ignore it, so the format version stays 1.
//
// Readers refuse, with a message naming the file: a wrong magic, a newer version, a
// length that runs past the end (truncation), a checksum mismatch, an invalid conf.
#include <optional>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "config/conf.h"
#include "data/normalizer.h"
#include "io/training_state.h"

namespace scaleout {

inline constexpr char kModelMagic[8] = {'S', 'C', 'A', 'L', 'E', 'O', 'U', 'T'};
inline constexpr uint32_t kModelFormatVersion = 2;  // the newest this build reads
// Version 2 adds the outer velocity to a checkpoint's state. A file without one is still
// written as version 1, which builds before it read.
inline constexpr uint32_t kModelFormatVersionOuter = 2;

struct ModelFile {
  Conf conf;
  Normalizer normalizer;
  Eigen::VectorXf params;
  std::vector<std::string> classNames;  // output unit i predicts classNames[i]; empty: plain numbers
  std::optional<TrainingState> state;  // present in checkpoints
};

// Writes to PATH.tmp and renames it over PATH, so a crash never leaves a torn file.
void writeModelFile(const std::string& path, const ModelFile& model);
ModelFile readModelFile(const std::string& path);

}  // namespace scaleout
