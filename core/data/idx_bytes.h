#pragma once
// An IDX image/label pair as stored (u8 pixels, u8 labels, the image dims), and the one
// conversion to a DataSet. readIdx and the decoded-data cache both go through
// idxDataSet, so a set read from the cache is bit for bit the set decoded from the files.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace scaleout {

// Buffers are left uninitialised until read (make_unique_for_overwrite): a damaged gzip
// header may claim 2 GB, and zero-filling that before the stream ends would touch it all.
struct IdxBytes {
  std::vector<uint32_t> imageDims;  // n, then the per-sample dims (rows, cols for rank 3)
  std::unique_ptr<uint8_t[]> pixelData;
  std::unique_ptr<uint8_t[]> labelData;
  size_t pixelCount = 0;  // n x prod(imageDims[1..])
  size_t labelCount = 0;  // n

  std::span<const uint8_t> pixels() const { return {pixelData.get(), pixelCount}; }
  std::span<const uint8_t> labels() const { return {labelData.get(), labelCount}; }
};

// Reads and checks both files (plain or gzip); throws ScaleoutError as readIdx documents.
IdxBytes decodeIdxPair(const std::string& imagesPath, const std::string& labelsPath);

// Features = the byte values as float, labels as int, numClasses = max label + 1, image
// shape for rank 3; source = imagesPath. The caller has checked the sizes agree.
DataSet idxDataSet(std::span<const uint32_t> imageDims, std::span<const uint8_t> pixels,
                   std::span<const uint8_t> labels, const std::string& imagesPath);

}  // namespace scaleout
