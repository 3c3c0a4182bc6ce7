#pragma once
// DataPanel: loads the data the current Conf names (off the GUI thread) and shows what
// training will see: sample counts, feature count, classes with their counts, and a grid
// of sample images per class for image data (or the first rows for tabular data).
#include <memory>

#include <QImage>
#include <QWidget>

#include "config/conf.h"
#include "data/data_source.h"

class QLabel;
class QPushButton;
class QTableWidget;
class QThread;

namespace scaleout::ui {

class DataPanel : public QWidget {
  Q_OBJECT
 public:
  explicit DataPanel(QWidget* parent = nullptr);
  ~DataPanel() override;  // waits for a load in progress

  // Follows the conf: when the data it names changes (a preset, an opened file), data
  // already shown is loaded again from the new source (or the hint names the new source),
  // so the panel never shows one data set under a conf that trains on another.
  void setConf(const Conf& conf);
  void loadData();  // asynchronous; loaded() tells the outcome
  bool isLoading() const { return thread_ != nullptr; }

  QString summaryText() const;
  const QImage& sampleGrid() const { return grid_; }  // null for tabular data
  const TrainTestData* data() const { return data_.get(); }

  // Tiles of up to `perClass` samples for each class, one row per class (for image data).
  static QImage renderSampleGrid(const DataSet& data, int perClass, int scale);

 signals:
  void loaded(bool ok, const QString& error);

 private:
  void showData();
  void showHint();
  static QString dataKey(const Conf& conf);  // the knobs that decide what loadTrainTest reads
  Conf conf_;
  QString loadedKey_;   // dataKey of the data shown (or being loaded)
  bool reloadPending_ = false;
  QPushButton* load_;
  QLabel* summary_;
  QLabel* images_;
  QTableWidget* table_;
  QThread* thread_ = nullptr;
  std::shared_ptr<TrainTestData> data_;
  QImage grid_;
};

}  // namespace scaleout::ui
