// The conf editor generated from the knob registry: every knob gets its widget, edits
// change the Conf through the undo stack, invalid values are marked with the registry's
// message and keep Start disabled, and a conf survives save/load.
#include <QAction>
#include <QDir>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QSignalSpy>
#include <QSpinBox>

#include <limits>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QUndoStack>
#include <QToolBar>
#include <QScrollArea>
#include <QScrollBar>
#include <QtTest>

#include "conf_editor.h"
#include "config/conf_io.h"
#include "config/knob_registry.h"
#include "main_window.h"
#include "network_summary.h"

using namespace scaleout;
using namespace scaleout::ui;

namespace {

// Types text into a line edit and presses Enter, as a user would.
void typeInto(QWidget* field, const QString& text) {
  if (auto* spin = qobject_cast<QAbstractSpinBox*>(field)) {  // typed, then Tab, as a user does
    spin->setFocus();
    spin->selectAll();
    QTest::keyClicks(spin, text);
    QTest::keyClick(spin, Qt::Key_Return);
    return;
  }
  auto* edit = qobject_cast<QLineEdit*>(field);
  QVERIFY(edit);
  edit->selectAll();
  edit->clear();
  QTest::keyClicks(edit, text);
  QTest::keyClick(edit, Qt::Key_Return);
}

QString artifactsDir() {
  QString dir = qEnvironmentVariable("SCALEOUT_ARTIFACTS_DIR");
  if (dir.isEmpty()) dir = QDir(QCoreApplication::applicationDirPath()).filePath("../artifacts");
  QDir().mkpath(dir);
  return QDir(dir).absolutePath();
}

}  // namespace

class ConfEditorTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);  // QSettings (recent files) go to a test location
    QCoreApplication::setOrganizationName("ScaleoutTest");
    QCoreApplication::setApplicationName("test_ui_conf_editor");
  }

  void everyKnobHasTheWidgetOfItsKind() {
    QUndoStack undo;
    ConfEditor editor(&undo);
    int fields = 0;
    for (const KnobSpec& spec : knobRegistry()) {
      QWidget* w = editor.field(QString::fromStdString(spec.name));
      QVERIFY2(w, spec.name.c_str());
      ++fields;
      switch (spec.kind) {
        case KnobKind::Int: {
          auto* box = qobject_cast<QSpinBox*>(w);
          QVERIFY2(box, spec.name.c_str());
          // Any integer can be typed; the registry's range is enforced with a message
          // (invalidValueShowsItsMessageAndDisablesStart), not by the box.
          QCOMPARE(box->minimum(), std::numeric_limits<int>::min());
          QCOMPARE(box->maximum(), std::numeric_limits<int>::max());
          break;
        }
        case KnobKind::Real: QVERIFY2(qobject_cast<QDoubleSpinBox*>(w), spec.name.c_str()); break;
        case KnobKind::Bool: QVERIFY2(qobject_cast<QCheckBox*>(w), spec.name.c_str()); break;
        case KnobKind::Choice: {
          auto* combo = qobject_cast<QComboBox*>(w);
          QVERIFY2(combo, spec.name.c_str());
          QCOMPARE(combo->count(), static_cast<int>(spec.constraint.choices.size()));
          break;
        }
        default: QVERIFY2(qobject_cast<QLineEdit*>(w), spec.name.c_str()); break;
      }
      // The registry's help is the tooltip.
      QVERIFY2(w->toolTip().contains(QString::fromStdString(spec.help).toHtmlEscaped()), spec.name.c_str());
    }
    QCOMPARE(fields, static_cast<int>(knobRegistry().size()));
    // One tab per group, in registry order.
    QStringList tabs;
    for (int i = 0; i < editor.tabs()->count(); ++i) tabs << editor.tabs()->tabText(i);
    QCOMPARE(tabs.mid(0, 6), (QStringList{"Network", "Pretraining", "Finetuning", "Regularization", "Data", "Run"}));
    QVERIFY(editor.isValid());
    QCOMPARE(editor.conf(), Conf{});
  }

  void editingAFieldChangesTheConf() {
    QUndoStack undo;
    ConfEditor editor(&undo);
    QSignalSpy changed(&editor, &ConfEditor::confChanged);

    qobject_cast<QSpinBox*>(editor.field("nIn"))->setValue(20);
    QCOMPARE(editor.conf().nIn, 20);
    typeInto(editor.field("layerSizes"), "64,32");
    QCOMPARE(editor.conf().layerSizes, (std::vector<int>{64, 32}));
    qobject_cast<QComboBox*>(editor.field("activation"))->setCurrentText("sigmoid");
    QCOMPARE(editor.conf().activation, std::string("sigmoid"));
    qobject_cast<QCheckBox*>(editor.field("useAdaGrad"))->click();
    QCOMPARE(editor.conf().useAdaGrad, true);
    typeInto(editor.field("trainData"), "/tmp/x.csv");
    QCOMPARE(editor.conf().trainData, std::string("/tmp/x.csv"));
    QCOMPARE(changed.count(), 5);
    QCOMPARE(undo.count(), 5);
  }

  void smallRealsKeepTheirValue() {
    QUndoStack undo;
    ConfEditor editor(&undo);
    auto* l2 = qobject_cast<QDoubleSpinBox*>(editor.field("l2"));
    QVERIFY(l2);
    QCOMPARE(l2->text(), QString("0.0001"));  // the default 1e-4 is shown, not rounded to 0.00
    l2->setValue(1e-5);
    QCOMPARE(editor.conf().l2, 1e-5);
    QCOMPARE(l2->text(), QString("1e-05"));
    // Typed in scientific notation.
    l2->selectAll();
    QTest::keyClick(l2, Qt::Key_Delete);
    QTest::keyClicks(l2, "3e-6");
    QTest::keyClick(l2, Qt::Key_Return);
    QCOMPARE(editor.conf().l2, 3e-6);
  }

  void invalidValueShowsItsMessageAndDisablesStart_data() {
    QTest::addColumn<QStringList>("assignments");  // "knob=text", applied in order
    QTest::addColumn<QString>("knob");             // the field that must be marked
    QTest::addColumn<QString>("message");          // part of the registry's message
    QTest::addColumn<QString>("fix");              // "knob=text" that clears it
    QTest::newRow("list element out of range")
        << QStringList{"layerSizes=100,-5"} << "layerSizes" << "element 1 (-5) is outside [1, 1000000]" << "layerSizes=100,5";
    QTest::newRow("real below its range (was silently reverted)")
        << QStringList{"finetuneLearningRate=-0.5"} << "finetuneLearningRate" << "value -0.5 is outside [0, 10]"
        << "finetuneLearningRate=0.05";
    QTest::newRow("integer below its range") << QStringList{"batchSize=0"} << "batchSize" << "value 0 is outside [1, 1000000]"
                                             << "batchSize=100";
    QTest::newRow("unreadable list") << QStringList{"layerSizes=abc"} << "layerSizes" << "cannot be read as int list"
                                     << "layerSizes=10";
    QTest::newRow("csv without a file") << QStringList{"dataset=csv"} << "trainData"
                                        << "is empty, but dataset=csv needs a file" << "trainData=/tmp/some.csv";
    QTest::newRow("per-layer list of the wrong length")
        << QStringList{"activationByLayer=relu,tanh,relu"} << "activationByLayer"
        << "does not match the number of hidden layers" << "activationByLayer=relu,tanh";
    QTest::newRow("unknown choice in a list") << QStringList{"activationByLayer=relu,swish"} << "activationByLayer"
                                              << "is not one of sigmoid" << "activationByLayer=";
  }

  void invalidValueShowsItsMessageAndDisablesStart() {
    QFETCH(QStringList, assignments);
    QFETCH(QString, knob);
    QFETCH(QString, message);
    QFETCH(QString, fix);
    MainWindow window;
    ConfEditor* editor = window.confEditor();
    QVERIFY(window.startAction()->isEnabled());
    const Conf before = editor->conf();
    for (const QString& a : assignments) {
      const QString name = a.section('=', 0, 0), text = a.section('=', 1);
      if (auto* combo = qobject_cast<QComboBox*>(editor->field(name))) combo->setCurrentText(text);
      else typeInto(editor->field(name), text);
    }
    QVERIFY2(editor->fieldError(knob).contains(message), qPrintable(editor->fieldError(knob)));
    QVERIFY(editor->field(knob)->property("invalid").toBool());
    QVERIFY(editor->errorKnobs().contains(knob));
    QVERIFY(!editor->isValid());
    QVERIFY(!window.startAction()->isEnabled());
    // The error label under the field shows the same text.
    auto* label = editor->findChild<QLabel*>("error_" + knob);
    QVERIFY(label && !label->isHidden());
    QCOMPARE(label->text(), editor->fieldError(knob));
    // A rejected value never enters the Conf.
    if (knob == "layerSizes") QCOMPARE(editor->conf().layerSizes, before.layerSizes);

    typeInto(editor->field(fix.section('=', 0, 0)), fix.section('=', 1));
    QVERIFY2(editor->fieldError(knob).isEmpty(), qPrintable(editor->fieldError(knob)));
    QVERIFY(!editor->field(knob)->property("invalid").toBool());
    QVERIFY(editor->isValid());
    QVERIFY(window.startAction()->isEnabled());
  }

  void undoAndRedo() {
    MainWindow window;
    ConfEditor* editor = window.confEditor();
    QUndoStack* undo = window.undoStack();
    QVERIFY(!window.isWindowModified());
    qobject_cast<QSpinBox*>(editor->field("nIn"))->setValue(4);
    typeInto(editor->field("layerSizes"), "16");
    QVERIFY(window.isWindowModified());
    QCOMPARE(undo->count(), 2);
    QCOMPARE(undo->undoText(), QString("Set layerSizes to 16"));

    undo->undo();
    QCOMPARE(editor->conf().layerSizes, (std::vector<int>{256, 128}));
    QCOMPARE(qobject_cast<QLineEdit*>(editor->field("layerSizes"))->text(), QString("256,128"));
    QCOMPARE(editor->conf().nIn, 4);
    undo->undo();
    QCOMPARE(editor->conf().nIn, 784);
    QCOMPARE(qobject_cast<QSpinBox*>(editor->field("nIn"))->value(), 784);
    QVERIFY(!window.isWindowModified());  // back at the clean state
    undo->redo();
    undo->redo();
    QCOMPARE(editor->conf().nIn, 4);
    QCOMPARE(editor->conf().layerSizes, (std::vector<int>{16}));
    QVERIFY(window.isWindowModified());

    // Undo also clears a field error of the knob it restores.
    typeInto(editor->field("layerSizes"), "0");
    QVERIFY(!editor->isValid());
    undo->undo();  // restores layerSizes to 256,128 (undoing "Set layerSizes to 16")
    QVERIFY(editor->isValid());
    QCOMPARE(editor->conf().layerSizes, (std::vector<int>{256, 128}));
  }

  // The toolbar's Undo/Redo keep a fixed text (the command goes in the tooltip), so a long
  // path typed into a field does not widen them and move Start and Stop.
  void undoRedoActionsKeepAFixedText() {
    MainWindow window;
    window.resize(900, 700);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    auto* undoAction = window.findChild<QAction*>("undo");
    auto* redoAction = window.findChild<QAction*>("redo");
    auto* start = window.findChild<QAction*>("start");
    QVERIFY(undoAction && redoAction && start);
    QVERIFY(!undoAction->isEnabled());
    QWidget* startButton = nullptr;
    for (QToolBar* bar : window.findChildren<QToolBar*>())
      if (QWidget* w = bar->widgetForAction(start)) startButton = w;
    QVERIFY(startButton);
    const int startX = startButton->mapTo(&window, QPoint(0, 0)).x();
    const QString longPath = "/a/rather/long/folder/name/that/users/have/for/their/data/files/iris-with-a-long-name.csv";
    typeInto(window.confEditor()->field("trainData"), longPath);
    QVERIFY(undoAction->isEnabled());
    QCOMPARE(undoAction->text(), QString("&Undo"));
    QVERIFY2(undoAction->toolTip().contains(longPath), qPrintable(undoAction->toolTip()));
    QCoreApplication::processEvents();
    QCOMPARE(startButton->mapTo(&window, QPoint(0, 0)).x(), startX);
    undoAction->trigger();
    QVERIFY(!undoAction->isEnabled());
    QVERIFY(redoAction->isEnabled());
    QCOMPARE(redoAction->text(), QString("&Redo"));
    QVERIFY(redoAction->toolTip().contains(longPath));
    redoAction->trigger();
    QCOMPARE(QString::fromStdString(window.confEditor()->conf().trainData), longPath);
  }

  void rapidEditsOfOneKnobMergeIntoOneStep() {
    QUndoStack undo;
    ConfEditor editor(&undo);
    auto* box = qobject_cast<QSpinBox*>(editor.field("batchSize"));
    for (int i = 0; i < 5; ++i) box->stepUp();
    QCOMPARE(editor.conf().batchSize, 105);
    QCOMPARE(undo.count(), 1);
    undo.undo();
    QCOMPARE(editor.conf().batchSize, 100);
  }

  void saveAndLoadRoundTrip() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    MainWindow window;
    ConfEditor* editor = window.confEditor();
    qobject_cast<QComboBox*>(editor->field("networkClass"))->setCurrentText("dbn");
    typeInto(editor->field("layerSizes"), "500,250");
    qobject_cast<QDoubleSpinBox*>(editor->field("l2"))->setValue(1e-5);
    qobject_cast<QCheckBox*>(editor->field("useRegularization"))->click();
    typeInto(editor->field("learningRateByLayer"), "0.01,0.005");
    qobject_cast<QSpinBox*>(editor->field("seed"))->setValue(2024);
    const Conf edited = editor->conf();
    QVERIFY(window.isWindowModified());

    const QString path = dir.filePath("edited.json");
    QString error;
    QVERIFY2(window.saveFile(path, &error), qPrintable(error));
    QVERIFY(!window.isWindowModified());
    QVERIFY(window.windowTitle().contains("edited.json"));
    // The file is what the core writes and reads.
    std::vector<ConfIssue> issues;
    const Conf reread = loadConfFile(path.toStdString(), issues);
    QCOMPARE(QString::fromStdString(confToJsonText(reread)), QString::fromStdString(confToJsonText(edited)));
    for (const KnobSpec& spec : knobRegistry())
      if (spec.get(reread) != spec.get(edited))
        qWarning("%s: %s vs %s", spec.name.c_str(), spec.get(reread).dump().c_str(), spec.get(edited).dump().c_str());
    QCOMPARE(reread, edited);
    QVERIFY(issues.empty());

    window.newConf();
    QCOMPARE(editor->conf(), Conf{});
    QVERIFY(window.openFile(path, &error));
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(editor->conf(), edited);
    QCOMPARE(qobject_cast<QLineEdit*>(editor->field("layerSizes"))->text(), QString("500,250"));
    QCOMPARE(qobject_cast<QComboBox*>(editor->field("networkClass"))->currentText(), QString("dbn"));
    QVERIFY(!window.isWindowModified());
    QCOMPARE(window.currentFile(), QFileInfo(path).absoluteFilePath());
    QCOMPARE(window.undoStack()->count(), 0);
    // Recent files remember it.
    QVERIFY(QSettings().value("recentFiles").toStringList().contains(QFileInfo(path).absoluteFilePath()));
  }

  void presetsLoadWithoutProblems() {
    MainWindow window;
    const QStringList presets = window.presetFiles();
    QVERIFY(presets.size() >= 2);
    for (const QString& p : presets) {
      QString error;
      QVERIFY2(window.openFile(p, &error), qPrintable(p));
      QVERIFY2(error.isEmpty(), qPrintable(p + ": " + error));
      QVERIFY2(window.confEditor()->isValid(), qPrintable(p + ": " + window.confEditor()->errorKnobs().join(",")));
    }
  }

  // Every shipped preset has a one-line description, shown in File > Presets (#16).
  void presetsShowAOneLineDescription() {
    MainWindow window;
    const QStringList presets = window.presetFiles();
    QVERIFY(presets.size() >= 2);
    for (const QString& p : presets) {
      const QString name = QFileInfo(p).completeBaseName();
      const QString what = MainWindow::presetDescription(p);
      QVERIFY2(!what.isEmpty(), qPrintable(name));
      QVERIFY2(!what.contains('\n') && what.size() < 100, qPrintable(what));
      auto* action = window.findChild<QAction*>("preset_" + name);
      QVERIFY2(action, qPrintable(name));
      QCOMPARE(action->text(), name + " — " + what);
      QCOMPARE(action->statusTip(), what);
    }
    QVERIFY(MainWindow::presetDescription(QFileInfo(presets[0]).dir().filePath("iris-mlp.json")).contains("demo"));
  }

  void networkSummaryFollowsTheKnobs() {
    MainWindow window;
    ConfEditor* editor = window.confEditor();
    qobject_cast<QSpinBox*>(editor->field("nIn"))->setValue(4);
    qobject_cast<QSpinBox*>(editor->field("nOut"))->setValue(3);
    typeInto(editor->field("layerSizes"), "16");
    qobject_cast<QSpinBox*>(editor->field("threads"))->setValue(2);
    const QString text = window.summaryLabel()->text();
    QVERIFY2(text.contains("4-16"), qPrintable(text));
    // 4*16+16 + 16*3+3 = 131 parameters; momentum on: 2 buffers per copy, 1 master + 2 workers.
    const NetworkSummary s = summarizeNetwork(editor->conf());
    QCOMPARE(s.parameters, size_t{131});
    QCOMPARE(s.memoryBytes, 131.0 * 4 * 2 * 3);
    QVERIFY2(text.contains("131 parameters"), qPrintable(text));
  }

  // A conf whose choice no knob lists (a file edited by hand) gets a summary that names the
  // problem: resolving its plan throws, and the summary, recomputed on every change, must
  // not take the window down with it.
  void networkSummaryOfAnUnknownChoice() {
    Conf c;
    c.activation = "swish";
    const NetworkSummary s = summarizeNetwork(c);
    QVERIFY2(s.shape.contains("activation: unknown value 'swish'"), qPrintable(s.shape));
    QCOMPARE(s.parameters, size_t{0});
  }

  // finetuneEpochs=0 is valid but trains nothing (#16): the form says so above the tabs
  // and under the knob, without disabling Start; the warning goes when the knob is fixed.
  void aConfThatTrainsNothingIsWarnedInline() {
    MainWindow window;
    ConfEditor* editor = window.confEditor();
    QVERIFY(editor->warnings().isEmpty());
    QCOMPARE(editor->fieldWarning("finetuneEpochs"), QString());
    typeInto(editor->field("finetuneEpochs"), "0");
    QCOMPARE(editor->conf().finetuneEpochs, 0);
    QCOMPARE(editor->warnings(), QStringList{"finetuneEpochs is 0 and nothing is pretrained: the run will train nothing"});
    QVERIFY2(editor->fieldWarning("finetuneEpochs").contains("the run will train nothing"), qPrintable(editor->fieldWarning("finetuneEpochs")));
    auto* banner = editor->findChild<QLabel*>("confWarnings");
    QVERIFY(banner);
    QVERIFY(!banner->isHidden());
    QVERIFY(banner->text().contains("train nothing"));
    QVERIFY(editor->isValid());
    QVERIFY(window.startAction()->isEnabled());
    typeInto(editor->field("finetuneEpochs"), "5");
    QVERIFY(editor->warnings().isEmpty());
    QVERIFY(banner->isHidden());
    QCOMPARE(editor->fieldWarning("finetuneEpochs"), QString());
  }

  // Knobs the chosen network ignores are disabled, with the reason in the tooltip (#16).
  void knobsThatDoNotApplyAreDisabledWithTheReason_data() {
    QTest::addColumn<QString>("network");
    QTest::addColumn<QStringList>("disabled");
    QTest::addColumn<QStringList>("enabled");
    QTest::newRow("mlp") << "mlp" << QStringList{"pretrainEpochs", "pretrainLearningRate", "k", "corruptionLevel", "visibleUnit", "sparsity"}
                         << QStringList{"finetuneEpochs", "finetuneLearningRate", "renderWeightEpochs", "dropout", "layerSizes"};
    QTest::newRow("dbn") << "dbn" << QStringList{"corruptionLevel", "lossFunction"}
                         << QStringList{"pretrainEpochs", "k", "visibleUnit", "sparsity", "finetuneEpochs", "sampleHiddenActivations"};
    QTest::newRow("sda") << "sda" << QStringList{"k", "visibleUnit", "hiddenUnit", "sparsity"}
                         << QStringList{"pretrainEpochs", "corruptionLevel", "lossFunction", "finetuneEpochs"};
    QTest::newRow("rbm") << "rbm" << QStringList{"finetuneEpochs", "finetuneLearningRate", "outputActivation", "dropout", "corruptionLevel", "sampleHiddenActivations"}
                         << QStringList{"pretrainEpochs", "k", "visibleUnit"};
  }
  void knobsThatDoNotApplyAreDisabledWithTheReason() {
    QFETCH(QString, network);
    QFETCH(QStringList, disabled);
    QFETCH(QStringList, enabled);
    MainWindow window;
    ConfEditor* editor = window.confEditor();
    qobject_cast<QComboBox*>(editor->field("networkClass"))->setCurrentText(network);
    QCOMPARE(QString::fromStdString(editor->conf().networkClass), network);
    for (const QString& knob : disabled) {
      QVERIFY2(!editor->field(knob)->isEnabled(), qPrintable(knob));
      const QString reason = editor->notApplicableReason(knob);
      QVERIFY2(reason.startsWith("does not apply to networkClass=" + network + ": "), qPrintable(knob + ": " + reason));
      QVERIFY2(editor->field(knob)->toolTip().contains(reason.toHtmlEscaped()), qPrintable(editor->field(knob)->toolTip()));
    }
    for (const QString& knob : enabled) {
      QVERIFY2(editor->field(knob)->isEnabled(), qPrintable(knob));
      QCOMPARE(editor->notApplicableReason(knob), QString());
      QVERIFY(!editor->field(knob)->toolTip().contains("Not used"));
    }
  }

  // Field labels are shown whole at the default window size, on every tab (#16); the
  // screenshot shows an MLP conf that trains nothing: its warning, the pretraining knobs
  // disabled.
  void fieldLabelsAreNotCutOff() {
    MainWindow window;
    window.resize(1400, 860);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    ConfEditor* editor = window.confEditor();
    QTabWidget* tabs = editor->tabs();
    int checked = 0;
    for (int t = 0; t < tabs->count(); ++t) {
      tabs->setCurrentIndex(t);
      QApplication::processEvents();
      for (QLabel* label : tabs->widget(t)->findChildren<QLabel*>()) {
        if (!label->isVisible() || !label->objectName().startsWith("label_")) continue;  // field captions only
        ++checked;
        QVERIFY2(label->width() >= label->sizeHint().width(),
                 qPrintable(QString("%1: %2 px shown of %3").arg(label->text()).arg(label->width()).arg(label->sizeHint().width())));
        const QRect inTab(label->mapTo(tabs->widget(t), QPoint(0, 0)), label->size());
        QVERIFY2(inTab.left() >= 0, qPrintable(label->text()));
      }
      // The fields fit too: no tab needs scrolling sideways (a wide combo box once cut
      // every field of its tab at the pane's right edge).
      if (auto* scroll = qobject_cast<QScrollArea*>(tabs->widget(t)))
        QVERIFY2(scroll->horizontalScrollBar()->maximum() == 0,
                 qPrintable(QString("tab %1 scrolls %2 px sideways").arg(tabs->tabText(t)).arg(scroll->horizontalScrollBar()->maximum())));
    }
    QCOMPARE(checked, static_cast<int>(knobRegistry().size()));
    typeInto(editor->field("finetuneEpochs"), "0");
    for (int t = 0; t < tabs->count(); ++t)
      if (tabs->tabText(t).startsWith("Pretraining")) tabs->setCurrentIndex(t);
    QApplication::processEvents();
    QVERIFY(window.grab().save(QDir(artifactsDir()).filePath("conf_editor_mlp_pretraining.png")));
    for (int t = 0; t < tabs->count(); ++t)
      if (tabs->tabText(t).startsWith("Finetuning")) tabs->setCurrentIndex(t);
    QApplication::processEvents();
    QVERIFY(window.grab().save(QDir(artifactsDir()).filePath("conf_editor_warning.png")));
  }

  // Each field's caption is the knob's label; its name, which files, --set and messages use,
  // is in the tooltip of the caption and the field, with the help (#15). The screenshots
  // show every tab at the default window size.
  void fieldsShowTheLabelAndTheNameInTheTooltip() {
    MainWindow window;
    window.resize(1400, 860);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    ConfEditor* editor = window.confEditor();
    QLabel* caption = editor->fieldLabel("finetuneLearningRate");
    QVERIFY(caption);
    QCOMPARE(caption->text(), QString("Learning rate (finetune)"));
    QCOMPARE(caption->buddy(), editor->field("finetuneLearningRate"));
    const QString help = QString::fromStdString(findKnob("finetuneLearningRate")->help).toHtmlEscaped();
    for (QWidget* w : {static_cast<QWidget*>(caption), editor->field("finetuneLearningRate")}) {
      QVERIFY2(w->toolTip().startsWith("<b>finetuneLearningRate</b>"), qPrintable(w->toolTip()));
      QVERIFY2(w->toolTip().contains(help), qPrintable(w->toolTip()));
    }
    // Every knob: its label as caption, on the tab of its group; no caption is a knob's name.
    for (const KnobSpec& spec : knobRegistry()) {
      const QString name = QString::fromStdString(spec.name);
      QLabel* label = editor->fieldLabel(name);
      QVERIFY2(label, qPrintable(name));
      QCOMPARE(label->text(), QString::fromStdString(spec.label));
      QVERIFY2(label->toolTip().contains("<b>" + name + "</b>"), qPrintable(name));
      QVERIFY2(!findKnob(label->text().toStdString()), qPrintable(name));
      int tab = -1;
      for (int t = 0; t < editor->tabs()->count(); ++t)
        if (editor->tabs()->widget(t)->isAncestorOf(label)) tab = t;
      QVERIFY2(tab >= 0, qPrintable(name));
      QCOMPARE(editor->tabs()->tabText(tab), QString::fromStdString(spec.group));
    }
    // The name stays in what the user copies and in the undo history.
    typeInto(editor->field("finetuneLearningRate"), "0.05");
    QCOMPARE(window.undoStack()->undoText(), QString("Set finetuneLearningRate to 0.05"));
    QVERIFY2(window.commandLine().contains("--set finetuneLearningRate=0.05"), qPrintable(window.commandLine()));
    // One screenshot per tab, to look at (captions whole, not overlapping their fields).
    QTabWidget* tabs = editor->tabs();
    for (int t = 0; t < tabs->count(); ++t) {
      tabs->setCurrentIndex(t);
      QApplication::processEvents();
      const QString file = QString("conf_editor_labels_%1.png").arg(tabs->tabText(t).section(' ', 0, 0).toLower());
      QVERIFY(editor->grab().save(QDir(artifactsDir()).filePath(file)));
    }
    tabs->setCurrentIndex(0);
    QApplication::processEvents();
    QVERIFY(window.grab().save(QDir(artifactsDir()).filePath("conf_editor_labels.png")));
  }

  void commandLineReproducesTheConf() {
    MainWindow window;
    qobject_cast<QSpinBox*>(window.confEditor()->field("nIn"))->setValue(4);
    typeInto(window.confEditor()->field("layerSizes"), "16,8");
    const QString cmd = window.commandLine();
    QVERIFY2(cmd.startsWith("scaleout train --set nIn=4 --set layerSizes=16,8"), qPrintable(cmd));
  }
};

QTEST_MAIN(ConfEditorTest)
#include "test_ui_conf_editor.moc"
