#pragma once
// MainWindow: the Qt Application-example skeleton (createActions, createMenus,
// createStatusBar, readSettings/writeSettings, maybeSave) around the conf editor, the
// data panel, the live monitor, the steering panel and a log.
#include <QElapsedTimer>
#include <QMainWindow>
#include <QUndoStack>

#include "config/conf.h"
#include "metatypes.h"

class QAction;
class QLabel;
class QMenu;
class QPlainTextEdit;
class QProgressBar;
class QSplitter;
class QTabWidget;

namespace scaleout::ui {

class ClusterPanel;
class ConfEditor;
class DataPanel;
class EvaluationView;
class FilterView;
class RunsPanel;
class RunStatus;
class MonitorPanel;
class SteeringPanel;
class TrainingSession;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  ConfEditor* confEditor() const { return editor_; }
  MonitorPanel* monitor() const { return monitor_; }
  DataPanel* dataPanel() const { return data_; }
  SteeringPanel* steeringPanel() const { return steering_; }
  EvaluationView* evaluationView() const { return evaluation_; }
  FilterView* filterView() const { return filters_; }
  ClusterPanel* clusterPanel() const { return cluster_; }
  RunsPanel* runsPanel() const { return runs_; }
  QTabWidget* viewTabs() const { return viewTabs_; }  // Charts, Evaluation, Filters, Cluster
  QTabWidget* leftTabs() const { return leftTabs_; }  // Configuration, Data, Runs
  TrainingSession* session() const { return session_; }
  QUndoStack* undoStack() { return &undo_; }
  QAction* startAction() const { return startAct_; }
  QAction* pauseAction() const { return pauseAct_; }
  QAction* stopAction() const { return stopAct_; }
  QLabel* summaryLabel() const { return summary_; }
  QString logText() const;
  QString statusText() const;  // phase, epoch, iteration, speed, ETA and run progress, joined
  RunStatus* runStatus() const { return status_; }

  // Without dialogs (tests, command line): return false and fill `error` on failure.
  bool openFile(const QString& path, QString* error = nullptr);
  bool saveFile(const QString& path, QString* error = nullptr);
  void newConf();
  QString currentFile() const { return currentFile_; }
  // Runs write conf.json, metrics.csv, checkpoint.bin and model.bin under this directory.
  void setRunsRoot(const QString& dir);
  QStringList presetFiles() const;
  // The preset's one-line description (presets.txt beside it), "" if none.
  static QString presetDescription(const QString& presetPath);
  QString commandLine() const;  // `scaleout train ...` reproducing the current conf
  // Evaluates a saved model on its conf's test data off the GUI thread; modelEvaluated()
  // tells the outcome, the Evaluation and Filters tabs show it. False while one is going.
  bool evaluateModelFile(const QString& path);
  // Loads the checkpoint's conf into the editor and continues its run (optimizer and
  // random state restored). False, with the reason, for a file that is not a checkpoint.
  bool resumeFromCheckpoint(const QString& path, QString* error = nullptr);
  // Help > User Guide: the README's section on the desktop application, in a window.
  QWidget* showUserGuide();
  QAction* userGuideAction() const { return guideAct_; }

 signals:
  void modelEvaluated(bool ok, const QString& message);

 public slots:
  void startTraining();
  void togglePause();
  void stopTraining();

 protected:
  void closeEvent(QCloseEvent* event) override;
  void changeEvent(QEvent* event) override;

 private:
  void createActions();
  void createMenus();
  void createStatusBar();
  void readSettings();
  void writeSettings();
  bool maybeSave();
  void updateTitle();
  void updateActions();
  void updateRunIcons();  // Start/Pause/Stop in the palette's text colour on a dark theme
  void updateSummary();
  void addRecentFile(const QString& path);
  void rebuildRecentMenu();
  void log(const QString& text);
  void open();
  bool save();
  bool saveAs();
  void saveModel();
  void saveBestModel();
  void startRun(const QString& resumeCheckpoint, long long resumeIteration);
  void copyCommandLine();
  void about();

  void onPhaseStarted(const scaleout::PhaseInfo& info);
  void onIterations(const QVector<scaleout::IterationInfo>& batch);
  void onRound(const scaleout::RoundInfo& info);
  void onEpochFinished(const scaleout::EpochInfo& info);
  void onEvaluation(const scaleout::EvalReport& report);
  void onSteering(const scaleout::SteeringChange& change);
  void onRunEnded(bool completed, const QString& error);
  void onDataLoaded();

  QUndoStack undo_;
  ConfEditor* editor_;
  QLabel* summary_;
  DataPanel* data_;
  MonitorPanel* monitor_;
  SteeringPanel* steering_;
  EvaluationView* evaluation_;
  FilterView* filters_;
  ClusterPanel* cluster_;
  RunsPanel* runs_;
  QTabWidget* viewTabs_;
  QTabWidget* leftTabs_;
  QPlainTextEdit* log_;
  TrainingSession* session_;
  QSplitter* mainSplit_;
  QSplitter* rightSplit_;

  QAction *newAct_, *openAct_, *saveAct_, *saveAsAct_, *saveModelAct_, *saveBestModelAct_, *resumeAct_, *evalModelAct_, *copyCmdAct_, *quitAct_;
  QAction *undoAct_, *redoAct_;
  QAction *startAct_, *pauseAct_, *stopAct_;
  QAction *logScaleAct_, *resetViewAct_;
  QAction* guideAct_ = nullptr;
  QWidget* guide_ = nullptr;
  QMenu* recentMenu_;
  QMenu* presetMenu_;

  RunStatus* status_ = nullptr;
  long long resumeIteration_ = 0;  // the checkpoint's iteration when this run resumed one

  QString currentFile_;
  bool evaluatingModel_ = false;
  class QThread* evalJob_ = nullptr;  // waited for on destruction
  QString runsRoot_;
};

}  // namespace scaleout::ui
