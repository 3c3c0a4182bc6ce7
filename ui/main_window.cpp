#include "main_window.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QCoreApplication>
#include <QDateTime>
#include <QDialog>
#include <QDialogButtonBox>
#include <QTextBrowser>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QStyle>
#include <QTabWidget>
#include <QThread>
#include <QToolBar>
#include <QVBoxLayout>

#include "about.h"
#include "cluster_panel.h"
#include "conf_editor.h"
#include "config/conf_io.h"
#include "config/knob_registry.h"
#include "data_panel.h"
#include "evaluation_view.h"
#include "filter_view.h"
#include "io/model_file.h"
#include "model_evaluation.h"
#include "monitor_panel.h"
#include "network_summary.h"
#include "qcustomplot.h"
#include "run_history.h"
#include "run_status.h"
#include "runs_panel.h"
#include "steering_panel.h"
#include "theme.h"
#include "train/observer.h"
#include "training_session.h"
#include "user_guide.h"
#include "series_plot.h"
#include "util/error.h"

namespace scaleout::ui {

namespace {
constexpr int kMaxRecentFiles = 6;

QString shellQuote(const QString& s) {
  static const QRegularExpression safe("^[A-Za-z0-9_./=,:+-]+$");
  if (safe.match(s).hasMatch()) return s;
  QString q = s;
  q.replace("'", "'\\''");
  return "'" + q + "'";
}
}  // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent),
      editor_(new ConfEditor(&undo_)),
      summary_(new QLabel),
      data_(new DataPanel),
      monitor_(new MonitorPanel),
      steering_(new SteeringPanel),
      evaluation_(new EvaluationView),
      filters_(new FilterView),
      cluster_(new ClusterPanel),
      runs_(new RunsPanel),
      viewTabs_(new QTabWidget),
      leftTabs_(new QTabWidget),
      log_(new QPlainTextEdit),
      session_(new TrainingSession(this)),
      mainSplit_(new QSplitter(Qt::Horizontal)),
      rightSplit_(new QSplitter(Qt::Vertical)) {
  setObjectName("mainWindow");
  runsRoot_ = defaultRunsRoot();

  // Left: the conf (tabs per knob group) with the network summary, and the data panel.
  auto* confPage = new QWidget;
  auto* confLayout = new QVBoxLayout(confPage);
  confLayout->setContentsMargins(0, 0, 0, 0);
  confLayout->addWidget(editor_, 1);
  summary_->setObjectName("networkSummary");
  summary_->setWordWrap(true);
  summary_->setFrameShape(QFrame::StyledPanel);
  summary_->setMargin(6);
  summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  confLayout->addWidget(summary_);
  leftTabs_->setObjectName("leftTabs");
  leftTabs_->addTab(confPage, tr("Configuration"));
  leftTabs_->addTab(data_, tr("Data"));
  leftTabs_->addTab(runs_, tr("Runs"));
  runs_->setRoot(runsRoot_);

  // Right: charts above, log and steering below.
  auto* bottom = new QSplitter(Qt::Horizontal);
  log_->setObjectName("runLog");
  log_->setReadOnly(true);
  log_->setMaximumBlockCount(5000);
  log_->setPlaceholderText(tr("Run messages appear here."));
  bottom->addWidget(log_);
  bottom->addWidget(steering_);
  bottom->setStretchFactor(0, 3);
  bottom->setStretchFactor(1, 1);
  // Views of the run: live charts, evaluation, filters, and the cluster.
  viewTabs_->setObjectName("viewTabs");
  viewTabs_->addTab(monitor_, tr("Charts"));
  viewTabs_->addTab(evaluation_, tr("Evaluation"));
  viewTabs_->addTab(filters_, tr("Filters"));
  viewTabs_->addTab(cluster_, tr("Cluster"));
  rightSplit_->addWidget(viewTabs_);
  rightSplit_->addWidget(bottom);
  rightSplit_->setStretchFactor(0, 4);
  rightSplit_->setStretchFactor(1, 1);
  mainSplit_->addWidget(leftTabs_);
  mainSplit_->addWidget(rightSplit_);
  mainSplit_->setStretchFactor(0, 2);
  mainSplit_->setStretchFactor(1, 5);
  // The splitter would size the left pane from its size hint (~325 px), a few pixels short
  // of the widest field caption plus its field: start it wide enough for the conf form.
  mainSplit_->setSizes({380, 1020});
  setCentralWidget(mainSplit_);

  createActions();
  createMenus();
  createStatusBar();

  connect(editor_, &ConfEditor::confChanged, this, [this] {
    updateSummary();
    data_->setConf(editor_->conf());
    monitor_->setConf(editor_->conf());
    cluster_->setConf(editor_->conf());
  });
  connect(editor_, &ConfEditor::validityChanged, this, [this] { updateActions(); });
  connect(&undo_, &QUndoStack::cleanChanged, this, [this](bool clean) { setWindowModified(!clean); });

  // Every core event reaches this thread through the adapter's queued flush; its signals
  // are emitted here, so these connections are direct (same thread, same order).
  ObserverAdapter* adapter = session_->adapter();
  monitor_->connectAdapter(adapter);
  const auto q = Qt::DirectConnection;
  connect(adapter, &ObserverAdapter::phaseStarted, this, &MainWindow::onPhaseStarted, q);
  connect(adapter, &ObserverAdapter::iterations, this, &MainWindow::onIterations, q);
  connect(adapter, &ObserverAdapter::round, this, &MainWindow::onRound, q);
  connect(adapter, &ObserverAdapter::epochFinished, this, &MainWindow::onEpochFinished, q);
  connect(adapter, &ObserverAdapter::evaluation, this, &MainWindow::onEvaluation, q);
  connect(adapter, &ObserverAdapter::steering, this, &MainWindow::onSteering, q);
  connect(adapter, &ObserverAdapter::evaluation, evaluation_, &EvaluationView::setReport, q);
  connect(adapter, &ObserverAdapter::filters, filters_, [this](const FilterSnapshot& f) { filters_->setFilters(f); }, q);
  connect(adapter, &ObserverAdapter::checkpoint, evaluation_, &EvaluationView::setCheckpoint, q);
  connect(adapter, &ObserverAdapter::round, cluster_, &ClusterPanel::onRound, q);
  connect(adapter, &ObserverAdapter::message, this, [this](const QString& text) { log(text); }, q);
  connect(adapter, &ObserverAdapter::checkpoint, this,
          [this](const QString& path, long long it) { log(tr("checkpoint at iteration %1: %2").arg(it).arg(path)); }, q);
  connect(adapter, &ObserverAdapter::finished, this, [this](const RunSummary& s) {
    if (s.finalEvaluation.hasClassification)
      log(tr("final test accuracy %1 (macro F1 %2) on %3 samples")
              .arg(s.finalEvaluation.accuracy, 0, 'f', 4)
              .arg(s.finalEvaluation.macroF1, 0, 'f', 4)
              .arg(s.finalEvaluation.samples));
    // After a resume this process trained only the iterations since the checkpoint.
    if (resumeIteration_ > 0)
      log(tr("%1 iterations in %2 s since resuming at iteration %3 (%4 in the whole run)")
              .arg(s.iterations - resumeIteration_)
              .arg(s.seconds, 0, 'f', 1)
              .arg(resumeIteration_)
              .arg(s.iterations));
    else
      log(tr("%1 iterations in %2 s").arg(s.iterations).arg(s.seconds, 0, 'f', 1));
    if (s.finalEvaluation.hasClassification) {
      EvalReport report = s.finalEvaluation;
      if (report.phase.empty()) report.phase = "end of run";
      evaluation_->setReport(report);
    }
  }, q);
  connect(session_, &TrainingSession::dataLoaded, this, [this](qulonglong tr_, qulonglong te, int f, int c) {
    log(tr("data: %1 train, %2 test samples, %3 features, %4 classes").arg(tr_).arg(te).arg(f).arg(c));
  });
  connect(session_, &TrainingSession::ended, this, &MainWindow::onRunEnded);
  // The form then shows the shape the run uses (an undoable edit, like any other).
  connect(session_, &TrainingSession::shapeTakenFromData, this, [this](int nIn, int nOut, const QString& note) {
    log(tr("note: %1").arg(note));
    editor_->setKnobText("nIn", QString::number(nIn));
    editor_->setKnobText("nOut", QString::number(nOut));
  });
  connect(session_, &TrainingSession::dataLoaded, this, &MainWindow::onDataLoaded);
  connect(runs_, &RunsPanel::overlaysChanged, monitor_, &MonitorPanel::setRunOverlays);
  connect(cluster_, &ClusterPanel::message, this, [this](const QString& text) { log(text); });
  connect(monitor_, &MonitorPanel::alarmRaised, this, [this](const QString& text) { log(tr("HEALTH: %1").arg(text)); });
  connect(steering_, &SteeringPanel::knobRequested, this, [this](const QString& knob, const QString& text) {
    const QString problem = session_->steer(knob, text);
    if (problem.isEmpty())
      log(tr("requested %1 = %2 (applied at the next round)").arg(knob, text));
    else
      log(tr("steering refused: %1").arg(problem));
  });

  // First start: the empty chart says how to begin (#16).
  monitor_->lossPlot()->setEmptyNote(tr("Press Start (F5) to train this conf.\n"
                                        "New here? Try File > Presets > iris-mlp for a 1-second demo."));
  readSettings();
  newConf();
  updateRunIcons();
}

MainWindow::~MainWindow() {
  // While every widget is still alive: stop the local worker and close ZooKeeper here,
  // not from the panel's destructor (whose messages would reach a half-destroyed window).
  cluster_->disconnect(this);
  cluster_->shutdown();
  if (evalJob_) {
    evalJob_->wait();
    delete evalJob_;
  }
}

void MainWindow::createActions() {
  QStyle* s = style();
  newAct_ = new QAction(s->standardIcon(QStyle::SP_FileIcon), tr("&New"), this);
  newAct_->setShortcuts(QKeySequence::New);
  newAct_->setStatusTip(tr("Start from the default conf"));
  connect(newAct_, &QAction::triggered, this, [this] {
    if (maybeSave()) newConf();
  });
  openAct_ = new QAction(s->standardIcon(QStyle::SP_DialogOpenButton), tr("&Open…"), this);
  openAct_->setShortcuts(QKeySequence::Open);
  connect(openAct_, &QAction::triggered, this, &MainWindow::open);
  saveAct_ = new QAction(s->standardIcon(QStyle::SP_DialogSaveButton), tr("&Save"), this);
  saveAct_->setShortcuts(QKeySequence::Save);
  connect(saveAct_, &QAction::triggered, this, &MainWindow::save);
  saveAsAct_ = new QAction(tr("Save &As…"), this);
  saveAsAct_->setShortcuts(QKeySequence::SaveAs);
  connect(saveAsAct_, &QAction::triggered, this, &MainWindow::saveAs);
  saveModelAct_ = new QAction(tr("Save &Model…"), this);
  saveModelAct_->setStatusTip(tr("Write the model of the last run"));
  connect(saveModelAct_, &QAction::triggered, this, &MainWindow::saveModel);
  saveBestModelAct_ = new QAction(tr("Save &Best Model…"), this);
  saveBestModelAct_->setStatusTip(tr("Write the last run's parameters at its best test accuracy"));
  connect(saveBestModelAct_, &QAction::triggered, this, &MainWindow::saveBestModel);
  resumeAct_ = new QAction(tr("Res&ume from Checkpoint…"), this);
  resumeAct_->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
  resumeAct_->setStatusTip(tr("Continue a run from its checkpoint.bin, with optimizer and random state restored"));
  connect(resumeAct_, &QAction::triggered, this, [this] {
    const QString dir = QSettings().value("paths/lastModelDir", runsRoot_).toString();
    const QString path = QFileDialog::getOpenFileName(this, tr("Resume from checkpoint"), dir, tr("Scaleout checkpoint (*.bin);;All files (*)"));
    if (path.isEmpty()) return;
    QSettings().setValue("paths/lastModelDir", QFileInfo(path).absolutePath());
    QString error;
    if (!resumeFromCheckpoint(path, &error) && !error.isEmpty()) QMessageBox::warning(this, tr("Resume from checkpoint"), error);
  });
  evalModelAct_ = new QAction(tr("&Evaluate Model…"), this);
  evalModelAct_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
  evalModelAct_->setStatusTip(tr("Evaluate a saved model on its conf's test data (confusion matrix, per-class metrics)"));
  connect(evalModelAct_, &QAction::triggered, this, [this] {
    const QString dir = QSettings().value("paths/lastModelDir", runsRoot_).toString();
    const QString path = QFileDialog::getOpenFileName(this, tr("Evaluate model"), dir, tr("Scaleout model (*.bin);;All files (*)"));
    if (path.isEmpty()) return;
    QSettings().setValue("paths/lastModelDir", QFileInfo(path).absolutePath());
    evaluateModelFile(path);
  });
  copyCmdAct_ = new QAction(tr("Copy as &Command Line"), this);
  copyCmdAct_->setStatusTip(tr("The `scaleout train` command that runs this conf headlessly"));
  connect(copyCmdAct_, &QAction::triggered, this, &MainWindow::copyCommandLine);
  quitAct_ = new QAction(tr("&Quit"), this);
  quitAct_->setShortcuts(QKeySequence::Quit);
  connect(quitAct_, &QAction::triggered, this, &QWidget::close);

  // Fixed texts: QUndoStack's own actions rename themselves after every command ("Undo Set
  // trainData to /a/long/path"), which resized the toolbar and moved Start and Stop.
  // The command goes in the tooltip instead.
  undoAct_ = new QAction(s->standardIcon(QStyle::SP_ArrowBack), tr("&Undo"), this);
  undoAct_->setObjectName("undo");
  undoAct_->setShortcuts(QKeySequence::Undo);
  undoAct_->setEnabled(false);
  connect(undoAct_, &QAction::triggered, &undo_, &QUndoStack::undo);
  connect(&undo_, &QUndoStack::canUndoChanged, undoAct_, &QAction::setEnabled);
  connect(&undo_, &QUndoStack::undoTextChanged, this,
          [this](const QString& text) { undoAct_->setToolTip(text.isEmpty() ? tr("Undo") : tr("Undo %1").arg(text)); });
  redoAct_ = new QAction(s->standardIcon(QStyle::SP_ArrowForward), tr("&Redo"), this);
  redoAct_->setObjectName("redo");
  redoAct_->setShortcuts(QKeySequence::Redo);
  redoAct_->setEnabled(false);
  connect(redoAct_, &QAction::triggered, &undo_, &QUndoStack::redo);
  connect(&undo_, &QUndoStack::canRedoChanged, redoAct_, &QAction::setEnabled);
  connect(&undo_, &QUndoStack::redoTextChanged, this,
          [this](const QString& text) { redoAct_->setToolTip(text.isEmpty() ? tr("Redo") : tr("Redo %1").arg(text)); });

  startAct_ = new QAction(s->standardIcon(QStyle::SP_MediaPlay), tr("&Start"), this);
  startAct_->setObjectName("start");
  startAct_->setShortcut(Qt::Key_F5);
  startAct_->setToolTip(tr("Start training (F5)"));
  connect(startAct_, &QAction::triggered, this, &MainWindow::startTraining);
  pauseAct_ = new QAction(s->standardIcon(QStyle::SP_MediaPause), tr("&Pause"), this);
  pauseAct_->setObjectName("pause");
  pauseAct_->setShortcut(Qt::Key_F6);
  pauseAct_->setToolTip(tr("Pause / resume at the next minibatch (F6)"));
  connect(pauseAct_, &QAction::triggered, this, &MainWindow::togglePause);
  stopAct_ = new QAction(s->standardIcon(QStyle::SP_MediaStop), tr("S&top"), this);
  stopAct_->setObjectName("stop");
  stopAct_->setShortcut(QKeySequence(Qt::SHIFT | Qt::Key_F5));
  stopAct_->setToolTip(tr("Stop training; the model so far is kept (Shift+F5)"));
  connect(stopAct_, &QAction::triggered, this, &MainWindow::stopTraining);

  logScaleAct_ = new QAction(tr("&Log Scale"), this);
  logScaleAct_->setCheckable(true);
  logScaleAct_->setToolTip(tr("Logarithmic y axis (Ctrl+L)"));
  connect(logScaleAct_, &QAction::toggled, monitor_, &MonitorPanel::setLogScale);
  resetViewAct_ = new QAction(tr("&Reset View"), this);
  resetViewAct_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_0));
  connect(resetViewAct_, &QAction::triggered, monitor_, &MonitorPanel::resetViews);
}

void MainWindow::createMenus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  file->addAction(newAct_);
  file->addAction(openAct_);
  recentMenu_ = file->addMenu(tr("Open &Recent"));
  presetMenu_ = file->addMenu(tr("&Presets"));
  for (const QString& path : presetFiles()) {
    const QString name = QFileInfo(path).completeBaseName();
    const QString what = presetDescription(path);
    QAction* a = presetMenu_->addAction(what.isEmpty() ? name : tr("%1 — %2").arg(name, what), this, [this, path] {
      if (!maybeSave()) return;
      QString error;
      if (!openFile(path, &error)) QMessageBox::warning(this, tr("Preset"), error);
      // A preset is a template: edits are saved to a new file, never over the shipped one.
      currentFile_.clear();
      updateTitle();
    });
    a->setObjectName("preset_" + name);
    a->setStatusTip(what);
  }
  if (presetMenu_->isEmpty()) presetMenu_->addAction(tr("(no presets found)"))->setEnabled(false);
  file->addSeparator();
  file->addAction(saveAct_);
  file->addAction(saveAsAct_);
  file->addAction(saveModelAct_);
  file->addAction(saveBestModelAct_);
  file->addAction(resumeAct_);
  file->addAction(evalModelAct_);
  file->addAction(copyCmdAct_);
  file->addSeparator();
  file->addAction(quitAct_);
  rebuildRecentMenu();

  QMenu* edit = menuBar()->addMenu(tr("&Edit"));
  edit->addAction(undoAct_);
  edit->addAction(redoAct_);

  QMenu* run = menuBar()->addMenu(tr("&Run"));
  run->addAction(startAct_);
  run->addAction(pauseAct_);
  run->addAction(stopAct_);

  QMenu* view = menuBar()->addMenu(tr("&View"));
  view->addAction(logScaleAct_);
  view->addAction(resetViewAct_);
  QMenu* theme = view->addMenu(tr("&Theme"));
  auto* group = new QActionGroup(this);
  const QString current = storedTheme();
  for (const auto& [key, label] : {std::pair{"system", tr("System")}, {"light", tr("Light")}, {"dark", tr("Dark")}}) {
    QAction* a = theme->addAction(label);
    a->setCheckable(true);
    a->setChecked(current == key);
    group->addAction(a);
    a->setObjectName(QStringLiteral("theme_%1").arg(key));
    connect(a, &QAction::triggered, this, [k = QString(key)] { applyTheme(k); });
  }
  view->addSeparator();
  const QStringList tabNames{tr("&Charts"), tr("&Evaluation"), tr("&Filters"), tr("C&luster")};
  for (int i = 0; i < tabNames.size(); ++i) {
    QAction* a = view->addAction(tabNames[i], this, [this, i] { viewTabs_->setCurrentIndex(i); });
    a->setShortcut(QKeySequence(Qt::CTRL | static_cast<Qt::Key>(Qt::Key_1 + i)));
  }
  QAction* runsAct = view->addAction(tr("&Runs (overlay earlier runs)"), this, [this] {
    leftTabs_->setCurrentWidget(runs_);
    runs_->refresh();
  });
  runsAct->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R));

  QMenu* help = menuBar()->addMenu(tr("&Help"));
  guideAct_ = help->addAction(tr("&User Guide"), this, [this] { showUserGuide(); });
  guideAct_->setObjectName("userGuide");
  guideAct_->setShortcut(QKeySequence::HelpContents);
  guideAct_->setStatusTip(tr("The README's section on this window (also: man scaleout)"));
  help->addAction(tr("&About"), this, &MainWindow::about);

  QToolBar* tb = addToolBar(tr("Main"));
  tb->setObjectName("mainToolBar");
  tb->addAction(newAct_);
  tb->addAction(openAct_);
  tb->addAction(saveAct_);
  tb->addSeparator();
  tb->addAction(undoAct_);
  tb->addAction(redoAct_);
  tb->addSeparator();
  tb->addAction(startAct_);
  tb->addAction(pauseAct_);
  tb->addAction(stopAct_);
  tb->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
}

void MainWindow::createStatusBar() { status_ = new RunStatus(statusBar(), this); }

QString MainWindow::statusText() const { return status_->text(); }

void MainWindow::readSettings() {
  QSettings settings;
  if (!restoreGeometry(settings.value("window/geometry").toByteArray())) resize(1400, 860);
  restoreState(settings.value("window/state").toByteArray());
  mainSplit_->restoreState(settings.value("window/mainSplit").toByteArray());
  rightSplit_->restoreState(settings.value("window/rightSplit").toByteArray());
  const QString theme = storedTheme();
  if (theme != "system") applyTheme(theme);
}

void MainWindow::writeSettings() {
  QSettings settings;
  settings.setValue("window/geometry", saveGeometry());
  settings.setValue("window/state", saveState());
  settings.setValue("window/mainSplit", mainSplit_->saveState());
  settings.setValue("window/rightSplit", rightSplit_->saveState());
}

void MainWindow::updateTitle() {
  const QString name = currentFile_.isEmpty() ? tr("untitled.json") : QFileInfo(currentFile_).fileName();
  setWindowTitle(tr("%1[*] — Scaleout Studio").arg(name));
  setWindowModified(!undo_.isClean());
}

void MainWindow::updateActions() {
  const bool running = session_->isRunning();
  startAct_->setEnabled(!running && editor_->isValid());
  startAct_->setToolTip(editor_->isValid() ? tr("Start training (F5)")
                                           : tr("Fix the marked knobs first: %1").arg(editor_->errorKnobs().join(", ")));
  pauseAct_->setEnabled(running);
  pauseAct_->setText(session_->isPaused() ? tr("&Resume") : tr("&Pause"));
  updateRunIcons();
  stopAct_->setEnabled(running);
  saveModelAct_->setEnabled(session_->lastModel().has_value());
  saveBestModelAct_->setEnabled(session_->bestModel().has_value());
  resumeAct_->setEnabled(!running);
  steering_->setRunning(running);
}

void MainWindow::updateRunIcons() {
  // Fusion's media icons are black: on the dark theme they are redrawn in the text colour.
  const bool dark = darkThemeActive();
  const QColor text = palette().color(QPalette::ButtonText);
  auto icon = [&](QStyle::StandardPixmap sp) { return dark ? tintedStandardIcon(style(), sp, text) : style()->standardIcon(sp); };
  startAct_->setIcon(icon(QStyle::SP_MediaPlay));
  pauseAct_->setIcon(icon(session_->isPaused() ? QStyle::SP_MediaPlay : QStyle::SP_MediaPause));
  stopAct_->setIcon(icon(QStyle::SP_MediaStop));
}

void MainWindow::changeEvent(QEvent* event) {
  QMainWindow::changeEvent(event);
  if (event->type() == QEvent::PaletteChange || event->type() == QEvent::StyleChange) updateRunIcons();
}

QWidget* MainWindow::showUserGuide() {
  if (!guide_) {
    auto* dialog = new QDialog(this);
    dialog->setObjectName("userGuideWindow");
    dialog->setWindowTitle(tr("Scaleout Studio — User Guide"));
    auto* layout = new QVBoxLayout(dialog);
    auto* browser = new QTextBrowser;
    browser->setObjectName("userGuideText");
    browser->setOpenExternalLinks(true);
    browser->setMarkdown(userGuideMarkdown());
    layout->addWidget(browser);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::close);
    layout->addWidget(buttons);
    dialog->resize(760, 640);
    guide_ = dialog;
  }
  guide_->show();
  guide_->raise();
  guide_->activateWindow();
  return guide_;
}

void MainWindow::updateSummary() {
  const NetworkSummary s = summarizeNetwork(editor_->conf());
  summary_->setText(s.text());
  summary_->setToolTip(tr("Memory estimate = parameters x 4 bytes x %1 buffer(s) per copy (parameters, momentum, "
                          "AdaGrad) x (1 master + %2 worker copies)")
                           .arg(s.buffersPerCopy)
                           .arg(s.workers));
}

void MainWindow::log(const QString& text) {
  log_->appendPlainText(QDateTime::currentDateTime().toString("HH:mm:ss  ") + text);
}

QString MainWindow::logText() const { return log_->toPlainText(); }

// ---- files

void MainWindow::newConf() {
  editor_->setConf(Conf{});
  undo_.clear();
  currentFile_.clear();
  updateTitle();
  updateActions();
}

bool MainWindow::openFile(const QString& path, QString* error) {
  std::vector<ConfIssue> issues;
  const Conf conf = loadConfFile(path.toStdString(), issues);
  if (!issues.empty() && !QFileInfo::exists(path)) {
    if (error) *error = QString::fromStdString(formatIssues(issues));
    return false;
  }
  editor_->setConf(conf);
  undo_.clear();
  currentFile_ = QFileInfo(path).absoluteFilePath();
  addRecentFile(currentFile_);
  updateTitle();
  updateActions();
  log(tr("opened %1").arg(path));
  if (!issues.empty()) {
    // Loaded, but knobs the file got wrong kept their defaults: say which.
    const QString text = QString::fromStdString(formatIssues(issues));
    log(tr("problems in %1 (those knobs keep their defaults):\n%2").arg(path, text));
    if (error) *error = text;
  }
  return true;
}

bool MainWindow::saveFile(const QString& path, QString* error) {
  try {
    saveConfFile(editor_->conf(), path.toStdString());
  } catch (const ScaleoutError& e) {
    if (error) *error = QString::fromStdString(e.what());
    return false;
  }
  currentFile_ = QFileInfo(path).absoluteFilePath();
  undo_.setClean();
  addRecentFile(currentFile_);
  updateTitle();
  log(tr("saved %1").arg(path));
  return true;
}

void MainWindow::open() {
  if (!maybeSave()) return;
  const QString dir = QSettings().value("paths/lastConfDir", QDir::homePath()).toString();
  const QString path = QFileDialog::getOpenFileName(this, tr("Open conf"), dir, tr("Conf (*.json);;All files (*)"));
  if (path.isEmpty()) return;
  QSettings().setValue("paths/lastConfDir", QFileInfo(path).absolutePath());
  QString error;
  if (!openFile(path, &error)) QMessageBox::warning(this, tr("Open conf"), error);
  else if (!error.isEmpty()) QMessageBox::information(this, tr("Open conf"), tr("Some knobs kept their defaults:\n%1").arg(error));
}

bool MainWindow::save() {
  if (currentFile_.isEmpty()) return saveAs();
  QString error;
  if (!saveFile(currentFile_, &error)) {
    QMessageBox::warning(this, tr("Save conf"), error);
    return false;
  }
  return true;
}

bool MainWindow::saveAs() {
  const QString dir = QSettings().value("paths/lastConfDir", QDir::homePath()).toString();
  QString path = QFileDialog::getSaveFileName(this, tr("Save conf"), dir + "/" + (currentFile_.isEmpty() ? "conf.json" : QFileInfo(currentFile_).fileName()),
                                              tr("Conf (*.json)"));
  if (path.isEmpty()) return false;
  if (QFileInfo(path).suffix().isEmpty()) path += ".json";
  QSettings().setValue("paths/lastConfDir", QFileInfo(path).absolutePath());
  QString error;
  if (!saveFile(path, &error)) {
    QMessageBox::warning(this, tr("Save conf"), error);
    return false;
  }
  return true;
}

bool MainWindow::maybeSave() {
  if (undo_.isClean()) return true;
  const auto answer = QMessageBox::warning(this, tr("Scaleout Studio"), tr("The conf has unsaved changes. Save them?"),
                                           QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel);
  if (answer == QMessageBox::Save) return save();
  return answer == QMessageBox::Discard;
}

void MainWindow::addRecentFile(const QString& path) {
  QSettings settings;
  QStringList files = settings.value("recentFiles").toStringList();
  files.removeAll(path);
  files.prepend(path);
  while (files.size() > kMaxRecentFiles) files.removeLast();
  settings.setValue("recentFiles", files);
  rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu() {
  if (!recentMenu_) return;
  recentMenu_->clear();
  const QStringList files = QSettings().value("recentFiles").toStringList();
  for (int i = 0; i < files.size(); ++i) {
    const QString path = files[i];
    QAction* a = recentMenu_->addAction(QStringLiteral("&%1 %2").arg(i + 1).arg(QFileInfo(path).fileName()), this, [this, path] {
      if (!maybeSave()) return;
      QString error;
      if (!openFile(path, &error)) QMessageBox::warning(this, tr("Open conf"), error);
    });
    a->setToolTip(path);
  }
  recentMenu_->setEnabled(!files.isEmpty());
}

QStringList MainWindow::presetFiles() const {
  // Installed copies first, then the source tree of a development build.
  QStringList dirs;
  const QString env = qEnvironmentVariable("SCALEOUT_RESOURCES");
  if (!env.isEmpty()) dirs << env + "/confs";
  const QString app = QCoreApplication::applicationDirPath();
  dirs << app + "/../share/scaleout/confs" << app + "/../resources/confs" << app + "/../../resources/confs"
       << QStringLiteral(SCALEOUT_SOURCE_RESOURCES) + "/confs";
  for (const QString& d : dirs) {
    QDir dir(d);
    const QStringList names = dir.entryList({"*.json"}, QDir::Files, QDir::Name);
    if (names.isEmpty()) continue;
    QStringList out;
    for (const QString& n : names) out << QFileInfo(dir.filePath(n)).canonicalFilePath();
    return out;
  }
  return {};
}

QString MainWindow::presetDescription(const QString& presetPath) {
  // presets.txt beside the presets: "name<TAB>one line", # comments.
  QFile file(QFileInfo(presetPath).dir().filePath("presets.txt"));
  if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) return {};
  const QString name = QFileInfo(presetPath).completeBaseName();
  while (!file.atEnd()) {
    const QString line = QString::fromUtf8(file.readLine()).trimmed();
    if (line.startsWith('#')) continue;
    const qsizetype tab = line.indexOf('\t');
    if (tab > 0 && line.left(tab) == name) return line.mid(tab + 1).trimmed();
  }
  return {};
}

QString MainWindow::commandLine() const {
  QStringList parts{"scaleout", "train"};
  if (!currentFile_.isEmpty() && undo_.isClean()) {
    parts << shellQuote(currentFile_);
  } else {
    // Unsaved: every knob that differs from its default, as --set.
    const nlohmann::json defaults = confToJson(Conf{});
    const nlohmann::json now = confToJson(editor_->conf());
    for (const KnobSpec& spec : knobRegistry())
      if (now[spec.name] != defaults[spec.name])
        parts << "--set" << shellQuote(QString::fromStdString(spec.name + "=" + knobValueText(now[spec.name])));
  }
  parts << "--out" << "scaleout-run";
  return parts.join(' ');
}

void MainWindow::copyCommandLine() {
  const QString cmd = commandLine();
  QApplication::clipboard()->setText(cmd);
  log(tr("copied: %1").arg(cmd));
}

void MainWindow::saveModel() {
  if (!session_->lastModel()) return;
  const QString path = QFileDialog::getSaveFileName(this, tr("Save model"), "model.bin", tr("Scaleout model (*.bin)"));
  if (path.isEmpty()) return;
  try {
    writeModelFile(path.toStdString(), *session_->lastModel());
    log(tr("model saved to %1").arg(path));
  } catch (const ScaleoutError& e) {
    QMessageBox::warning(this, tr("Save model"), QString::fromStdString(e.what()));
  }
}

bool MainWindow::evaluateModelFile(const QString& path) {
  if (evaluatingModel_) return false;
  evaluatingModel_ = true;
  evalModelAct_->setEnabled(false);
  log(tr("evaluating %1…").arg(path));
  auto result = std::make_shared<ModelEvaluation>();
  QThread* job = QThread::create([path, result] { *result = scaleout::ui::evaluateModelFile(path); });
  evalJob_ = job;
  connect(job, &QThread::finished, this, [this, job, result] {
    job->deleteLater();
    evalJob_ = nullptr;
    evaluatingModel_ = false;
    evalModelAct_->setEnabled(true);
    if (!result->error.isEmpty()) {
      log(tr("ERROR: cannot evaluate %1: %2").arg(result->path, result->error));
      emit modelEvaluated(false, result->error);
      return;
    }
    const QString name = QFileInfo(result->path).fileName();
    evaluation_->clear();
    evaluation_->setClassNames(classNamesFor(result->model->conf.dataset, result->model->classNames));
    evaluation_->setTestData(result->test);
    evaluation_->setModel(result->model, tr("the model file %1").arg(name));
    filters_->clear();
    filters_->setImageShape(result->test->imageRows, result->test->imageCols);
    filters_->setFromModel(*result->model, tr("model file %1").arg(name));
    QString text;
    if (result->report.hasClassification) {
      evaluation_->setReport(result->report);
      viewTabs_->setCurrentWidget(evaluation_);
      text = tr("%1: test accuracy %2 (macro F1 %3) on %4 samples")
                 .arg(name)
                 .arg(result->report.accuracy, 0, 'f', 4)
                 .arg(result->report.macroF1, 0, 'f', 4)
                 .arg(result->report.samples);
    } else {
      QStringList errors;
      for (float e : result->report.reconstructionErrors) errors << QString::number(e, 'g', 4);
      text = tr("%1 is not a classifier; reconstruction error per layer: %2").arg(name, errors.join(", "));
    }
    log(text);
    emit modelEvaluated(true, text);
  });
  job->start();
  return true;
}

void MainWindow::saveBestModel() {
  if (!session_->bestModel()) return;
  const QString path = QFileDialog::getSaveFileName(this, tr("Save best model"), "best-model.bin", tr("Scaleout model (*.bin)"));
  if (path.isEmpty()) return;
  try {
    writeModelFile(path.toStdString(), *session_->bestModel());
    log(tr("best model saved to %1").arg(path));
  } catch (const ScaleoutError& e) {
    QMessageBox::warning(this, tr("Save best model"), QString::fromStdString(e.what()));
  }
}

bool MainWindow::resumeFromCheckpoint(const QString& path, QString* error) {
  if (session_->isRunning()) return false;
  ModelFile file;
  try {
    file = readModelFile(path.toStdString());
  } catch (const ScaleoutError& e) {
    if (error) *error = QString::fromStdString(e.what());
    return false;
  }
  if (!file.state) {
    if (error) *error = tr("%1 is a model, not a checkpoint: it holds no training state to continue from").arg(path);
    return false;
  }
  if (!maybeSave()) return false;
  editor_->setConf(file.conf);  // the checkpoint's own conf builds its network
  undo_.clear();
  currentFile_.clear();
  updateTitle();
  log(tr("resuming from %1 (iteration %2)").arg(path).arg(file.state->iteration));
  startRun(path, file.state->iteration);
  return session_->isRunning();
}

void MainWindow::about() { QMessageBox::about(this, tr("About Scaleout Studio"), aboutText()); }

// ---- training

void MainWindow::startTraining() { startRun(QString(), 0); }

void MainWindow::startRun(const QString& resumeCheckpoint, long long resumeIteration) {
  if (session_->isRunning() || !editor_->isValid()) return;
  resumeIteration_ = resumeIteration;
  const Conf conf = editor_->conf();
  SessionOptions options;
  options.resumeCheckpoint = resumeCheckpoint;
  if (!runsRoot_.isEmpty())
    options.runDirectory = QDir(runsRoot_).filePath(QDateTime::currentDateTime().toString("yyyyMMdd-HHmmss-zzz"));
  monitor_->lossPlot()->setEmptyNote(QString());  // the first-start hint has done its job
  monitor_->clear();
  evaluation_->clear();
  filters_->clear();
  cluster_->onRunStarted();
  status_->runStarting();
  steering_->setCurrent(conf);  // the run's conf: the form may change while it trains
  if (cluster_->applyToRun(options))
    log(tr("this run is the master of cluster %1 (ZooKeeper %2, %3); its workers join at the next round")
            .arg(options.clusterName, options.clusterZk, options.clusterSecurity ? tr("secure") : tr("INSECURE")));
  session_->start(conf, options);
  log(tr("run started%1").arg(options.runDirectory.isEmpty() ? QString() : tr(" (files in %1)").arg(options.runDirectory)));
  updateActions();
  runs_->setCurrentRun(options.runDirectory.isEmpty() ? QString() : QFileInfo(options.runDirectory).fileName());
  runs_->refresh();
}

void MainWindow::togglePause() {
  if (!session_->isRunning()) return;
  if (session_->isPaused()) {
    session_->resume();
    log(tr("resumed"));
  } else {
    session_->pause();
    log(tr("paused (workers stop at their next minibatch)"));
  }
  status_->setPaused(session_->isPaused());
  updateActions();
}

void MainWindow::stopTraining() {
  if (!session_->isRunning()) return;
  session_->stop();
  log(tr("stopping at the next minibatch…"));
}

void MainWindow::onPhaseStarted(const PhaseInfo& info) {
  status_->phaseStarted(info);
  log(tr("phase %1 (%2 epochs)").arg(QString::fromStdString(info.label)).arg(info.epochs));
}

void MainWindow::onIterations(const QVector<IterationInfo>& batch) {
  if (batch.isEmpty()) return;
  status_->iterationsDone(batch.back().iteration);
}

void MainWindow::onRound(const RoundInfo& info) { status_->round(info); }

void MainWindow::onEpochFinished(const EpochInfo& info) { status_->epochFinished(info); }

void MainWindow::onEvaluation(const EvalReport& report) {
  if (report.hasClassification)
    log(tr("%1 epoch %2: test accuracy %3, log loss %4")
            .arg(QString::fromStdString(report.phase))
            .arg(report.epoch)
            .arg(report.accuracy, 0, 'f', 4)
            .arg(report.logLoss, 0, 'f', 4));
}

void MainWindow::onSteering(const SteeringChange& change) {
  steering_->setCurrentValue(QString::fromStdString(change.knob), QString::fromStdString(change.to));
  log(tr("iteration %1: %2 %3 -> %4")
          .arg(change.iteration)
          .arg(QString::fromStdString(change.knob), QString::fromStdString(change.from), QString::fromStdString(change.to)));
}

void MainWindow::setRunsRoot(const QString& dir) {
  runsRoot_ = dir;
  runs_->setRoot(dir);
}

void MainWindow::onDataLoaded() {
  const auto test = session_->testSet();
  if (!test) return;
  evaluation_->setTestData(test);
  evaluation_->setClassNames(classNamesFor(editor_->conf().dataset, test->classNames));
  filters_->setImageShape(test->imageRows, test->imageCols);
}

void MainWindow::onRunEnded(bool completed, const QString& error) {
  if (session_->lastModel()) {
    // The drill-down predicts with the final model; the filters show its first layer.
    auto model = std::make_shared<const ModelFile>(*session_->lastModel());
    evaluation_->setModel(model, completed ? tr("the final model") : tr("the model when the run stopped"));
    filters_->setFromModel(*model, completed ? tr("final model") : tr("model when the run stopped"));
  }
  status_->runEnded(completed, !error.isEmpty());
  cluster_->onRunEnded();
  runs_->setCurrentRun(QString());  // its metrics.csv is complete: listed with its accuracy, and offered as an overlay
  runs_->refresh();
  if (!completed && !error.isEmpty()) {
    log(tr("ERROR: %1").arg(error));
    // A run that never started (bad data path...) has no curves: the banner says it too,
    // but as the run's error, not a health alarm (which the log would repeat as HEALTH).
    if (!monitor_->bannerVisible() || !monitor_->bannerText().contains(error)) monitor_->showRunError(error, 0);
  }
  log(completed ? tr("run finished") : (error.isEmpty() ? tr("run stopped") : tr("run failed")));
  updateActions();
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (session_->isRunning()) {
    const auto answer = QMessageBox::question(this, tr("Scaleout Studio"), tr("A run is in progress. Stop it and quit?"));
    if (answer != QMessageBox::Yes) {
      event->ignore();
      return;
    }
    session_->stop();
  }
  if (!maybeSave()) {
    event->ignore();
    return;
  }
  writeSettings();
  cluster_->shutdown();  // the local worker is stopped (bounded wait), ZooKeeper closed
  event->accept();
}

}  // namespace scaleout::ui
