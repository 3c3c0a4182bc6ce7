#include "filter_view.h"

#include <algorithm>
#include <cmath>

#include <QLabel>
#include <QPainter>
#include <QScrollArea>
#include <QVBoxLayout>

#include "nn/network.h"

namespace scaleout::ui {

namespace {
// A square guessed from the input count only (no image shape from the data) must be at
// least this wide: Iris's 4 features made 2 x 2 "images" (#16), and a 3 x 3 or 4 x 4
// table is no more a picture. 8 x 8 digits are the smallest images we are shown.
constexpr int kMinGuessedSide = 8;
// Tiles are scaled up to at least this many pixels on their longer side.
constexpr int kMinTilePixels = 48;

bool imageShape(int inputs, int& rows, int& cols) {
  if (rows > 0 && cols > 0) return rows * cols == inputs;
  const int side = static_cast<int>(std::lround(std::sqrt(static_cast<double>(inputs))));
  if (side < kMinGuessedSide || side * side != inputs) return false;
  rows = cols = side;
  return true;
}
}  // namespace

FilterView::FilterView(QWidget* parent) : QWidget(parent), caption_(new QLabel), picture_(new QLabel) {
  setObjectName("filterView");
  caption_->setObjectName("filterCaption");
  caption_->setWordWrap(true);
  picture_->setObjectName("filterImage");
  picture_->setAlignment(Qt::AlignLeft | Qt::AlignTop);
  auto* scroll = new QScrollArea;
  scroll->setWidget(picture_);
  scroll->setWidgetResizable(true);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->addWidget(caption_);
  layout->addWidget(scroll, 1);
  clear();
}

void FilterView::clear() {
  image_ = QImage();
  picture_->clear();
  caption_->setText(tr("The first layer's filters appear here: every renderWeightEpochs epochs during a run "
                       "(knob in Pretraining) and at its end."));
}

void FilterView::setImageShape(int rows, int cols) {
  imageRows_ = rows;
  imageCols_ = cols;
}

QString FilterView::captionText() const { return caption_->text(); }

QImage FilterView::render(const FilterSnapshot& f, int imageRows, int imageCols, int maxTiles, int scale) {
  int rows = imageRows, cols = imageCols;
  if (f.rows <= 0 || f.cols <= 0 || f.weights.size() != static_cast<size_t>(f.rows) * static_cast<size_t>(f.cols) ||
      !imageShape(f.rows, rows, cols))
    return {};
  const int tiles = std::min(f.cols, maxTiles);
  const int perRow = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(tiles))));
  const int gridRows = (tiles + perRow - 1) / perRow;
  const int gap = kFilterGap, tileW = cols * scale, tileH = rows * scale;
  QImage grid(gap + perRow * (tileW + gap), gap + gridRows * (tileH + gap), QImage::Format_RGB32);
  grid.fill(QColor(70, 110, 160));  // a colour no grayscale tile has: the tiles stand apart
  QPainter painter(&grid);
  QImage tile(cols, rows, QImage::Format_Grayscale8);
  for (int unit = 0; unit < tiles; ++unit) {
    // W is nIn x nHidden, column-major: unit u's incoming weights are contiguous.
    const float* w = f.weights.data() + static_cast<size_t>(unit) * static_cast<size_t>(f.rows);
    const auto [lo, hi] = std::minmax_element(w, w + f.rows);
    const float span = *hi > *lo ? *hi - *lo : 1.0f;
    for (int r = 0; r < rows; ++r) {
      uchar* line = tile.scanLine(r);
      for (int c = 0; c < cols; ++c) {
        const float v = w[r * cols + c];
        line[c] = std::isfinite(v) ? static_cast<uchar>(255.0f * (v - *lo) / span) : 0;
      }
    }
    const int gx = unit % perRow, gy = unit / perRow;
    painter.drawImage(QRect(gap + gx * (tileW + gap), gap + gy * (tileH + gap), tileW, tileH), tile);
  }
  return grid;
}

FilterSnapshot FilterView::fromModel(const ModelFile& model) {
  FilterSnapshot f;
  const NetworkLayout layout(model.conf);
  if (layout.layers().empty() || static_cast<size_t>(model.params.size()) != layout.size()) return f;
  const auto w = layout.weights(model.params, 0);
  f.rows = static_cast<int>(w.rows());
  f.cols = static_cast<int>(w.cols());
  f.weights.assign(w.data(), w.data() + w.size());
  return f;
}

void FilterView::setFilters(const FilterSnapshot& filters, const QString& source) {
  ++updates_;
  int rows = imageRows_, cols = imageCols_;
  const bool image = imageShape(filters.rows, rows, cols);
  // Small images (8 x 8 digits) are drawn larger, so that a tile shows its pattern.
  const int scale = image ? std::max(2, kMinTilePixels / std::max(rows, cols)) : 2;
  image_ = render(filters, imageRows_, imageCols_, 400, scale);
  const QString from = source.isEmpty() ? tr("epoch %1").arg(filters.epoch) : source;
  if (image_.isNull()) {
    picture_->clear();
    caption_->setText(tr("The first layer has %1 inputs, which are not an image: no filters to draw (%2). "
                         "Filters need image-shaped input: IDX images, or a square of at least %3 x %3 inputs.")
                          .arg(filters.rows)
                          .arg(from)
                          .arg(kMinGuessedSide));
    return;
  }
  const int shown = std::min(filters.cols, 400);
  caption_->setText(tr("First-layer filters, %1: %2 of %3 hidden units, %4 x %5 each, every tile stretched to its "
                       "own min..max (dark = its most negative weight, light = its most positive)%6")
                        .arg(from)
                        .arg(shown)
                        .arg(filters.cols)
                        .arg(rows)
                        .arg(cols)
                        .arg(scale > 2 ? tr(", drawn %1 times larger").arg(scale) : QString()));
  picture_->setPixmap(QPixmap::fromImage(image_));
}

void FilterView::setFromModel(const ModelFile& model, const QString& source) {
  const FilterSnapshot f = fromModel(model);
  if (f.rows > 0) setFilters(f, source);
}

}  // namespace scaleout::ui
