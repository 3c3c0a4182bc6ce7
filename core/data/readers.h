#pragma once
// File readers. All throw ScaleoutError with a message naming the file, the offset or
// line/column, what was found and what was expected; none of them crash on bad input.
#include <string>

#include "data/dataset.h"

namespace scaleout {

// IDX images (magic 0x00000803, u8, any rank >= 2 flattened per sample) and IDX labels
// (magic 0x00000801, u8). Plain or gzip-compressed (read directly through zlib).
// Features are the raw byte values 0..255 as float; normalisation happens later.
DataSet readIdx(const std::string& imagesPath, const std::string& labelsPath);

// Numeric CSV. A first line that is not all numbers is taken as a header. labelColumn
// -1 means the last column. Labels must be non-negative integers; numClasses = max + 1.
DataSet readCsv(const std::string& path, int labelColumn);

}  // namespace scaleout

namespace scaleout {

// Images only (for prediction): an IDX image file without labels.
RowMatrix readIdxImages(const std::string& imagesPath);

// Features only (for prediction): a CSV whose rows hold nIn features, or nIn + 1 values
// of which column labelColumn (-1 = last) is a label to ignore.
RowMatrix readCsvFeatures(const std::string& path, int nIn, int labelColumn);

}  // namespace scaleout
