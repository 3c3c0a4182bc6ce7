#pragma once
// FilterView: the first layer's weights as images (the seed's renderWeights): one tile
// per hidden unit, the unit's incoming weights laid out as the input image and stretched
// to the tile's own min..max in grayscale. Refreshed whenever the trainer sends a
// snapshot (renderWeightEpochs) and from the final model at the end of a run. Inputs that
// are not images (no square, no known image shape) show a note instead.
#include <QImage>
#include <QWidget>

#include "io/model_file.h"
#include "metatypes.h"

class QLabel;

namespace scaleout::ui {

inline constexpr int kFilterGap = 2;  // pixels between tiles

class FilterView : public QWidget {
  Q_OBJECT
 public:
  explicit FilterView(QWidget* parent = nullptr);

  void clear();
  // The input's image shape when the data says so (0 x 0: guess a square).
  void setImageShape(int rows, int cols);
  void setFilters(const scaleout::FilterSnapshot& filters, const QString& source = {});
  void setFromModel(const ModelFile& model, const QString& source);

  const QImage& image() const { return image_; }  // null when nothing is drawn
  QString captionText() const;
  int updates() const { return updates_; }

  // Tiles in a near-square grid, `scale` pixels per weight, at most `maxTiles` units.
  // Null when the input is not an image of rows x cols (or a square when both are 0).
  static QImage render(const FilterSnapshot& filters, int imageRows, int imageCols, int maxTiles = 400, int scale = 2);
  static FilterSnapshot fromModel(const ModelFile& model);

 private:
  QLabel* caption_;
  QLabel* picture_;
  QImage image_;
  int imageRows_ = 0, imageCols_ = 0;
  int updates_ = 0;
};

}  // namespace scaleout::ui
