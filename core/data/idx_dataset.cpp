// The one conversion from stored IDX bytes to a DataSet (see data/idx_bytes.h).
#include <algorithm>
#include <cstdint>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "data/idx_bytes.h"
#include "util/error.h"

namespace scaleout {
namespace {

// Fashion-MNIST's training features are 188 MB of fresh memory; first-touch page faults
// on 4 KiB pages cost more than inflating the file. 2 MiB pages cut that by a third where
// transparent huge pages are set to "madvise" (the Debian default). Only a hint.
void preferHugePages(void* data, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr uintptr_t kHuge = uintptr_t{1} << 21;
  const auto begin = (reinterpret_cast<uintptr_t>(data) + kHuge - 1) & ~(kHuge - 1);
  const auto end = (reinterpret_cast<uintptr_t>(data) + bytes) & ~(kHuge - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
  (void)data;
  (void)bytes;
#endif
}

}  // namespace

DataSet idxDataSet(std::span<const uint32_t> imageDims, std::span<const uint8_t> pixels,
                   std::span<const uint8_t> labels, const std::string& imagesPath) {
  DataSet data;
  const auto n = static_cast<Eigen::Index>(imageDims[0]);
  const auto dims = n > 0 ? static_cast<Eigen::Index>(pixels.size() / static_cast<size_t>(n)) : 0;
  try {
    data.features.resize(n, dims);
    data.labels.resize(labels.size());
  } catch (const std::bad_alloc&) {
    throw ScaleoutError(imagesPath + ": cannot allocate memory for " + std::to_string(n) + " x " +
                        std::to_string(dims) + " float features, as the header declares");
  }
  float* features = data.features.data();
  preferHugePages(features, pixels.size() * sizeof(float));
  std::transform(pixels.begin(), pixels.end(), features, [](uint8_t b) { return static_cast<float>(b); });
  int maxLabel = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    data.labels[i] = labels[i];
    maxLabel = std::max(maxLabel, int{labels[i]});
  }
  data.numClasses = maxLabel + 1;
  if (imageDims.size() == 3) {
    data.imageRows = static_cast<int>(imageDims[1]);
    data.imageCols = static_cast<int>(imageDims[2]);
  }
  data.source = imagesPath;
  return data;
}

}  // namespace scaleout
