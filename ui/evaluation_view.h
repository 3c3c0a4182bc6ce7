#pragma once
// EvaluationView: the latest test-set evaluation of a run. A confusion matrix as a heat
// map (QCPColorMap; cell colour = share of the actual class, count written in the cell),
// a per-class precision/recall/F1 table with accuracy and macro averages, and a drill
// down: clicking a cell lists the test samples of that (actual, predicted) pair, as
// images for image data or as feature rows for tabular data. The core reports only the
// matrix, so per-sample predictions are computed here from a model (the run's final
// model, or its latest checkpoint while it trains) on a worker thread, never on the GUI
// thread; they are cached per model.
#include <memory>
#include <vector>

#include <QStringList>
#include <QWidget>

#include "data/dataset.h"
#include "io/model_file.h"
#include "metatypes.h"

class QCustomPlot;
class QCPColorMap;
class QCPItemRect;
class QLabel;
class QListWidget;
class QStackedWidget;
class QTableWidget;
class QThread;

namespace scaleout::ui {

class EvaluationView : public QWidget {
  Q_OBJECT
 public:
  explicit EvaluationView(QWidget* parent = nullptr);
  ~EvaluationView() override;  // waits for a prediction job in progress

  void clear();  // a new run: forget the report, the data and the model
  // Ignored without classification. While a cell's samples are listed, the matrix stays on
  // the snapshot they were predicted with (list and cell counts agree); a newer report is
  // shown once the list moves to it, or when the selection is cleared.
  void setReport(const scaleout::EvalReport& report);
  void setClassNames(const QStringList& names);          // axis and table labels ("" = indices)
  void setTestData(std::shared_ptr<const DataSet> test);
  // The model the drill-down predicts with: the final model, or a checkpoint file.
  void setModel(std::shared_ptr<const ModelFile> model, const QString& label);
  void setCheckpoint(const QString& path, long long iteration);

  // What a click on a cell does (asynchronous when predictions must be computed first).
  void showCell(int actual, int predicted);
  void clearSelection();  // back to the latest report, nothing listed

  bool hasReport() const { return report_.hasClassification; }
  QStringList classNames() const { return classNames_; }
  const EvalReport& report() const { return report_; }  // the one the matrix shows
  const EvalReport& latestReport() const { return latest_; }
  long long cellCount(int actual, int predicted) const;
  QCustomPlot* heatMap() const { return plot_; }
  QTableWidget* metricsTable() const { return table_; }
  QString headerText() const;
  QString drillDownText() const;
  std::vector<size_t> shownRows() const { return shownRows_; }  // test rows listed, in order
  bool isPredicting() const { return job_ != nullptr; }
  // The cell's centre in heat-map widget coordinates (for clicks in tests).
  QPoint cellCenter(int actual, int predicted) const;

  static constexpr int kMaxListed = 200;  // samples listed per cell; the count says how many in all

 signals:
  void cellShown(int actual, int predicted, int samples);
  void predictionFailed(const QString& error);

 protected:
  void showEvent(QShowEvent* event) override;

 private:
  void showReport(const EvalReport& report);  // header, matrix and table
  void rebuildHeatMap();
  void rebuildTable();
  void onPlotClicked(QMouseEvent* event);
  void startPrediction();
  void listCell();
  void updateDrillNote();  // the list's text, and whether a newer evaluation waits
  QString className(int c) const;

  QLabel* header_;
  QCustomPlot* plot_;
  QCPColorMap* map_ = nullptr;
  QCPItemRect* selection_ = nullptr;
  QTableWidget* table_;
  QLabel* drillHeader_;
  QStackedWidget* drillStack_;
  QListWidget* images_;
  QTableWidget* rows_;

  EvalReport report_;   // shown
  EvalReport latest_;   // newest received
  std::vector<EvalReport> recent_;  // the last few received, to find the one a list was predicted with
  bool pinned_ = false;  // a list is shown: report_ is its snapshot's
  QStringList classNames_;
  std::shared_ptr<const DataSet> test_;
  std::shared_ptr<const ModelFile> model_;
  QString modelLabel_;
  QString checkpointPath_;
  long long checkpointIteration_ = -1;
  // Predictions of the model they were computed from (modelKey_), one class per test row.
  std::shared_ptr<std::vector<int>> predictions_;
  QString predictionsKey_;
  QString wantedKey_;
  QThread* job_ = nullptr;
  int cellActual_ = -1, cellPredicted_ = -1;
  std::vector<size_t> shownRows_;
  QString listText_;
};

// Predicted class for every row of `data` with `model` (blocking; run it off the GUI thread).
std::vector<int> predictClasses(const ModelFile& model, const DataSet& data);

// The ten Fashion-MNIST class names, in label order.
QStringList fashionMnistClassNames();
// The names the data gave (CSV label names), else Fashion-MNIST's for that dataset, else none.
QStringList classNamesFor(const std::string& dataset, const std::vector<std::string>& dataNames);

}  // namespace scaleout::ui
