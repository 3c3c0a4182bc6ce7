#pragma once
// File readers. All throw ScaleoutError with a message naming the file, the offset or
// line/column, what was found and what was expected; none of them crash on bad input.
#include <string>
#include <vector>

#include "data/dataset.h"

namespace scaleout {

// IDX images (magic 0x00000803, u8, any rank >= 2 flattened per sample) and IDX labels
// (magic 0x00000801, u8). Plain or gzip-compressed (read directly through zlib).
// Features are the raw byte values 0..255 as float; normalisation happens later.
DataSet readIdx(const std::string& imagesPath, const std::string& labelsPath);

struct CsvOptions {
  int labelColumn = -1;            // 0-based; -1 = the last column
  int skipLines = -1;              // lines skipped before the data; -1 = detect one header line
  bool dropIncompleteRows = false; // rows with a missing value are dropped (else an error)
  // Class names already fixed (by the training file or a model): these keep their
  // numbers and labels in the file are read as names; new names are appended.
  std::vector<std::string> knownClassNames;
};

// CSV with ',' ';' or tab between cells (detected) and optional "quoted" cells.
// Header: with skipLines -1 a first line holding a non-number outside the label column
// is a header; an sklearn header ("rows,features,name0,name1,...") also names the classes.
// Labels: non-negative integers (numClasses = max + 1), or names numbered in order of
// first appearance (then classNames holds them). Missing values ("", "?", "NA", ...) are
// an error naming line and column unless dropIncompleteRows. Decisions go to notes.
DataSet readCsv(const std::string& path, const CsvOptions& options);
DataSet readCsv(const std::string& path, int labelColumn);

}  // namespace scaleout

namespace scaleout {

// Images only (for prediction): an IDX image file without labels.
RowMatrix readIdxImages(const std::string& imagesPath);

// Features only (for prediction): a CSV whose rows hold nIn features, or nIn + 1 values
// of which column labelColumn (-1 = last) is a label to ignore.
RowMatrix readCsvFeatures(const std::string& path, int nIn, int labelColumn);

}  // namespace scaleout
