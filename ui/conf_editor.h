#pragma once
// ConfEditor: the Conf form, generated from the knob registry (knobs.def): one tab per
// group, one row per knob with the widget its kind calls for, the knob's label as caption,
// its name and help as tooltip (the name is what files, --set and messages use). Every
// edit goes through a QUndoStack command; the Conf is validated with validateConf() after
// each change and problems are shown at the field with the registry's message.
//
// A typed value that the registry rejects (unreadable text, out-of-range list element)
// never enters the Conf: it stays as a field error, and isValid() is false until it is
// fixed or undone. Cross-knob problems (validateConf) mark the knob they name.
#include <map>
#include <string>
#include <vector>

#include <QWidget>
#include <nlohmann/json.hpp>

#include "config/conf.h"
#include "config/conf_io.h"
#include "config/knob.h"

class QLabel;
class QTabWidget;
class QUndoStack;

namespace scaleout::ui {

class ConfEditor : public QWidget {
  Q_OBJECT
 public:
  explicit ConfEditor(QUndoStack* undoStack, QWidget* parent = nullptr);

  const Conf& conf() const { return conf_; }
  // Replaces the whole Conf (new, open, preset): clears field errors, not the undo stack.
  void setConf(const Conf& conf);
  QUndoStack* undoStack() const { return undo_; }

  // Sets a knob from its text form as if the user typed it in the field and pressed
  // Enter; returns false if the text was rejected (then fieldError() says why).
  bool setKnobText(const QString& name, const QString& text);
  QWidget* field(const QString& name) const;  // the input widget (objectName "knob_<name>")
  QLabel* fieldLabel(const QString& name) const;  // its caption, the knob's label (objectName "label_<name>")
  QString fieldError(const QString& name) const;  // "" when the field is fine
  // Valid confs that will not do what they seem to ask (confWarnings: a run that trains
  // nothing, knobs the algorithm ignores), shown above the tabs and under the knob named.
  QStringList warnings() const { return warnings_; }
  QString fieldWarning(const QString& name) const;  // "" when no warning names the knob
  // Why a knob does not apply to the chosen network ("" when it does); such fields are
  // disabled with the reason in their tooltip.
  QString notApplicableReason(const QString& name) const;
  QStringList errorKnobs() const;
  std::vector<ConfIssue> issues() const;  // field errors and validateConf() issues
  bool isValid() const { return valid_; }
  QTabWidget* tabs() const { return tabs_; }

  // Called by the undo commands: stores an already checked value and refreshes.
  void applyKnobValue(const std::string& name, const nlohmann::json& value);

 signals:
  void confChanged();
  void validityChanged(bool valid);

 private:
  struct Field {
    const KnobSpec* spec = nullptr;
    QWidget* input = nullptr;
    QLabel* label = nullptr;
    QLabel* error = nullptr;
    QLabel* warning = nullptr;
    int tab = 0;
  };
  QWidget* buildInput(const KnobSpec& spec);
  void commitValue(const std::string& name, const nlohmann::json& value);
  void commitText(const std::string& name, const QString& text);
  void refreshField(const Field& field);
  void revalidate();
  void updateApplicability();

  QUndoStack* undo_;
  Conf conf_;
  QTabWidget* tabs_;
  QLabel* generalErrors_;
  QLabel* warningsLabel_;
  QStringList warnings_;
  QStringList groups_;
  std::map<std::string, Field> fields_;
  std::map<std::string, ConfIssue> pending_;  // rejected input per knob
  std::vector<ConfIssue> issues_;
  bool valid_ = true;
  bool updating_ = false;  // widgets being set from the Conf: not an edit
};

QString issueText(const ConfIssue& issue);  // the message shown at a field
// Why `knob` has no effect with conf.networkClass ("" when it has one): pretraining and RBM
// knobs for an MLP, finetuning knobs for a single layer, RBM or autoencoder knobs for the other kind.
std::string knobNotApplicable(const KnobSpec& knob, const Conf& conf);

}  // namespace scaleout::ui
