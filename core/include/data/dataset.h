#pragma once
// DataSet: samples held once in memory, one row per sample. Workers and batches refer
// to rows by index; nothing copies the whole set.
#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Core>

namespace scaleout {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct DataSet {
  RowMatrix features;       // samples x dims
  std::vector<int> labels;  // one class index per sample, in [0, numClasses)
  int numClasses = 0;
  int imageRows = 0;        // > 0 when samples are images (IDX), for previews
  int imageCols = 0;
  std::string source;       // where it came from, for summaries and errors
  // Label names when the file gave them (CSV text labels, sklearn header), index = class;
  // empty when classes are plain numbers.
  std::vector<std::string> classNames;
  // What the reader decided on the user's behalf (header taken, delimiter, rows dropped),
  // one sentence each, for the CLI's and GUI's data summary.
  std::vector<std::string> notes;
  // For the GUI's drill-down of tabular data (CSV): the header's names of the feature
  // columns (label column left out; empty without a header), the file line each row was
  // read from (1-based; empty when not read from a text file), and the test rows' values
  // as read, before normalisation (loadTrainTest fills it for CSV test data only).
  std::vector<std::string> featureNames;
  std::vector<size_t> sourceLines;
  RowMatrix rawFeatures;

  size_t size() const { return static_cast<size_t>(features.rows()); }
  int dims() const { return static_cast<int>(features.cols()); }
};

// Rows [indices] of `data`, as a new DataSet (used for splits, not per batch).
DataSet subset(const DataSet& data, const std::vector<uint32_t>& indices);

}  // namespace scaleout
