#include "sample_image.h"

namespace scaleout::ui {

bool isImageData(const DataSet& data) {
  return data.imageRows > 0 && data.imageCols > 0 && data.imageRows * data.imageCols == data.dims();
}

QImage sampleImage(const DataSet& data, size_t row) {
  if (!isImageData(data) || row >= data.size()) return {};
  const int rows = data.imageRows, cols = data.imageCols;
  const auto x = data.features.row(static_cast<Eigen::Index>(row));
  const float lo = x.minCoeff(), hi = x.maxCoeff();
  const float span = hi > lo ? hi - lo : 1.0f;
  QImage image(cols, rows, QImage::Format_Grayscale8);
  for (int r = 0; r < rows; ++r) {
    uchar* line = image.scanLine(r);
    for (int c = 0; c < cols; ++c) line[c] = static_cast<uchar>(255.0f * (x(r * cols + c) - lo) / span);
  }
  return image;
}

}  // namespace scaleout::ui
