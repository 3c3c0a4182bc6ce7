#include "data/dataset.h"

#include <string>

#include "util/error.h"

namespace scaleout {

DataSet subset(const DataSet& data, const std::vector<uint32_t>& indices) {
  DataSet out;
  out.numClasses = data.numClasses;
  out.imageRows = data.imageRows;
  out.imageCols = data.imageCols;
  out.source = data.source;
  out.classNames = data.classNames;
  out.notes = data.notes;
  out.featureNames = data.featureNames;
  const bool hasLines = data.sourceLines.size() == data.size();
  const bool hasRaw = data.rawFeatures.rows() == data.features.rows() && data.rawFeatures.rows() > 0;
  if (hasLines) out.sourceLines.resize(indices.size());
  if (hasRaw) out.rawFeatures.resize(static_cast<Eigen::Index>(indices.size()), data.rawFeatures.cols());
  out.features.resize(static_cast<Eigen::Index>(indices.size()), data.features.cols());
  const bool hasLabels = data.labels.size() == data.size();
  if (hasLabels) out.labels.resize(indices.size());
  for (size_t i = 0; i < indices.size(); ++i) {
    const uint32_t row = indices[i];
    if (row >= data.size()) {
      throw ScaleoutError("subset of " + data.source + ": row index " + std::to_string(row) +
                          " at position " + std::to_string(i) + " is out of range, expected < " +
                          std::to_string(data.size()));
    }
    out.features.row(static_cast<Eigen::Index>(i)) = data.features.row(row);
    if (hasLabels) out.labels[i] = data.labels[row];
    if (hasLines) out.sourceLines[i] = data.sourceLines[row];
    if (hasRaw) out.rawFeatures.row(static_cast<Eigen::Index>(i)) = data.rawFeatures.row(row);
  }
  return out;
}

}  // namespace scaleout
