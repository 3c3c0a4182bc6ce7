#pragma once
// One sample of image data as a grayscale picture, stretched to its own min..max (the
// features are normalised, so this shows what training sees).
#include <cstddef>

#include <QImage>

#include "data/dataset.h"

namespace scaleout::ui {

bool isImageData(const DataSet& data);  // imageRows x imageCols == dims
QImage sampleImage(const DataSet& data, size_t row);  // null for non-image data

}  // namespace scaleout::ui
