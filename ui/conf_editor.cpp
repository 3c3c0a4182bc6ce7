#include "conf_editor.h"

#include <cmath>
#include <limits>

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QScrollArea>
#include <QSpinBox>
#include <QStyle>
#include <QTabWidget>
#include <QToolButton>
#include <QUndoCommand>
#include <QUndoStack>
#include <QVBoxLayout>

#include "config/conf_warnings.h"
#include "config/plan.h"
#include "config/knob_registry.h"
#include "sci_spin_box.h"

namespace scaleout::ui {

using nlohmann::json;

namespace {

constexpr int kMergeWindowMs = 1500;

// One knob edit. Consecutive edits of the same knob within a short window (spin-box
// arrows, typing) merge into one undo step.
class KnobEditCommand : public QUndoCommand {
 public:
  KnobEditCommand(ConfEditor* editor, std::string name, json before, json after)
      : editor_(editor), name_(std::move(name)), before_(std::move(before)), after_(std::move(after)),
        time_(QDateTime::currentMSecsSinceEpoch()) {
    updateText();
  }
  int id() const override { return 0x4b4e4f42; }  // "KNOB"
  bool mergeWith(const QUndoCommand* other) override {
    auto* o = static_cast<const KnobEditCommand*>(other);
    if (o->name_ != name_ || o->time_ - time_ > kMergeWindowMs) return false;
    after_ = o->after_;
    time_ = o->time_;
    updateText();
    if (after_ == before_) setObsolete(true);
    return true;
  }
  void undo() override { editor_->applyKnobValue(name_, before_); }
  void redo() override { editor_->applyKnobValue(name_, after_); }

 private:
  void updateText() {
    setText(QObject::tr("Set %1 to %2").arg(QString::fromStdString(name_), QString::fromStdString(knobValueText(after_))));
  }
  ConfEditor* editor_;
  std::string name_;
  json before_, after_;
  qint64 time_;
};

QString tooltipFor(const KnobSpec& spec) {
  return QStringLiteral("<b>%1</b> (%2, %3)<br>%4<br><i>Allowed:</i> %5<br><i>Default:</i> %6")
      .arg(QString::fromStdString(spec.name), knobKindName(spec.kind), knobPhaseName(spec.phase),
           QString::fromStdString(spec.help).toHtmlEscaped(), QString::fromStdString(describeAllowed(spec)).toHtmlEscaped(),
           QString::fromStdString(knobValueText(spec.defaultValue)).toHtmlEscaped());
}

}  // namespace

std::string knobNotApplicable(const KnobSpec& knob, const Conf& conf) {
  const std::optional<NetworkClass> network = choiceFromName<NetworkClass>(conf.networkClass);
  if (!network) return {};  // validation names the bad networkClass itself
  const std::string& net = conf.networkClass;
  const std::string& k = knob.name;
  const bool single = isSingleLayerNetwork(*network);
  const bool mlp = *network == NetworkClass::Mlp;
  const bool rbm = *network == NetworkClass::Dbn || *network == NetworkClass::Cdbn || *network == NetworkClass::Rbm ||
                   *network == NetworkClass::Crbm;
  const bool autoencoder = *network == NetworkClass::Sda || *network == NetworkClass::Da;
  const std::string prefix = "does not apply to networkClass=" + net + ": ";
  // Filter snapshots are taken in every phase, whatever its kind.
  if (knob.phase == KnobPhase::Pretrain && k != "renderWeightEpochs" && mlp)
    return prefix + "an MLP is not pretrained (only dbn, cdbn, sda and the single layers rbm, crbm, da are)";
  if (knob.phase == KnobPhase::Finetune && single)
    return prefix + "a single layer is trained only by pretraining, without labels";
  if ((k == "visibleUnit" || k == "hiddenUnit" || k == "visibleUnitByLayer" || k == "hiddenUnitByLayer" || k == "k" ||
       k == "sparsity") && !rbm && !mlp)
    return prefix + "it sets up RBMs (dbn, cdbn, rbm, crbm), and " + net + " pretrains autoencoders";
  if ((k == "corruptionLevel" || k == "lossFunction") && !autoencoder && !mlp)
    return prefix + "it sets up denoising autoencoders (sda, da), and " + net + " pretrains RBMs";
  if (k == "sampleHiddenActivations" && single) return prefix + "a single layer feeds no next layer";
  return {};
}

QString issueText(const ConfIssue& issue) {
  QString text;
  if (!issue.value.empty()) text += "value " + QString::fromStdString(issue.value) + " ";
  text += QString::fromStdString(issue.problem);
  if (!issue.allowed.empty()) text += "; allowed: " + QString::fromStdString(issue.allowed);
  return text;
}

ConfEditor::ConfEditor(QUndoStack* undoStack, QWidget* parent)
    : QWidget(parent), undo_(undoStack), tabs_(new QTabWidget(this)), generalErrors_(new QLabel(this)) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  generalErrors_->setObjectName("generalErrors");
  generalErrors_->setWordWrap(true);
  generalErrors_->setStyleSheet("QLabel { color: #c62828; }");
  generalErrors_->hide();
  layout->addWidget(generalErrors_);
  warningsLabel_ = new QLabel(this);
  warningsLabel_->setObjectName("confWarnings");
  warningsLabel_->setWordWrap(true);
  warningsLabel_->setStyleSheet("QLabel { color: #b26a00; }");
  warningsLabel_->hide();
  layout->addWidget(warningsLabel_);
  layout->addWidget(tabs_, 1);
  tabs_->setObjectName("confTabs");
  tabs_->setUsesScrollButtons(true);
  tabs_->setDocumentMode(true);
  // Invalid inputs get a red frame and a tinted background, whatever the widget type.
  setStyleSheet("*[invalid=\"true\"] { border: 1px solid #d32f2f; background-color: #fdecea; }");

  std::map<QString, QFormLayout*> forms;
  for (const KnobSpec& spec : knobRegistry()) {
    const QString group = QString::fromStdString(spec.group);
    if (!forms.count(group)) {
      auto* page = new QWidget;
      auto* form = new QFormLayout(page);
      form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
      form->setRowWrapPolicy(QFormLayout::DontWrapRows);
      auto* scroll = new QScrollArea;
      scroll->setWidget(page);
      scroll->setWidgetResizable(true);
      scroll->setFrameShape(QFrame::NoFrame);
      tabs_->addTab(scroll, group);
      groups_ << group;
      forms[group] = form;
    }
    Field f;
    f.spec = &spec;
    f.tab = static_cast<int>(groups_.indexOf(group));
    f.input = buildInput(spec);
    // The caption is the knob's label; the tooltip starts with its name, the word files,
    // --set and messages use.
    f.label = new QLabel(QString::fromStdString(spec.label));
    f.label->setObjectName("label_" + QString::fromStdString(spec.name));
    f.label->setBuddy(f.input);
    f.label->setToolTip(tooltipFor(spec));
    f.input->setToolTip(tooltipFor(spec));
    f.error = new QLabel;
    f.error->setObjectName("error_" + QString::fromStdString(spec.name));
    f.error->setWordWrap(true);
    f.error->setStyleSheet("QLabel { color: #c62828; font-size: small; }");
    f.error->hide();
    f.warning = new QLabel;
    f.warning->setObjectName("warning_" + QString::fromStdString(spec.name));
    f.warning->setWordWrap(true);
    f.warning->setStyleSheet("QLabel { color: #b26a00; font-size: small; }");
    f.warning->hide();
    auto* cell = new QWidget;
    auto* v = new QVBoxLayout(cell);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(1);
    QWidget* container = f.input->property("container").value<QWidget*>();
    v->addWidget(container ? container : f.input);
    v->addWidget(f.error);
    v->addWidget(f.warning);
    forms[group]->addRow(f.label, cell);
    fields_[spec.name] = f;
  }
  setConf(Conf{});
}

QWidget* ConfEditor::buildInput(const KnobSpec& spec) {
  const std::string name = spec.name;
  const auto& c = spec.constraint;
  QWidget* input = nullptr;
  switch (spec.kind) {
    case KnobKind::Int: {
      auto* box = new QSpinBox;
      // The box takes any number and the registry judges it: a range on the box would
      // silently swallow an out-of-range value (issue #16: -0.5 turned back into 0.05),
      // where the registry shows its message under the field and disables Start.
      box->setRange(std::numeric_limits<int>::min(), std::numeric_limits<int>::max());
      box->setKeyboardTracking(false);
      box->setGroupSeparatorShown(false);
      connect(box, &QSpinBox::valueChanged, this, [this, name](int v) {
        if (!updating_) commitValue(name, json(v));
      });
      input = box;
      break;
    }
    case KnobKind::Real: {
      auto* box = new ScientificSpinBox;
      box->setRange(-1e300, 1e300);  // as for integers: the registry judges the value
      connect(box, &QDoubleSpinBox::valueChanged, this, [this, name](double v) {
        if (!updating_) commitValue(name, json(v));
      });
      input = box;
      break;
    }
    case KnobKind::Bool: {
      auto* box = new QCheckBox;
      connect(box, &QCheckBox::toggled, this, [this, name](bool on) {
        if (!updating_) commitValue(name, json(on));
      });
      input = box;
      break;
    }
    case KnobKind::Choice: {
      auto* box = new QComboBox;
      for (const auto& choice : c.choices) box->addItem(QString::fromStdString(choice));
      // By default a combo box is never narrower than its longest choice
      // ("reconstructionCrossEntropy"), which pushed the form past the pane's width and
      // cut every field of the tab at the right edge. It shrinks now; the popup still
      // shows whole names.
      box->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
      box->setMinimumContentsLength(8);
      connect(box, &QComboBox::currentTextChanged, this, [this, name](const QString& text) {
        if (!updating_) commitValue(name, json(text.toStdString()));
      });
      input = box;
      break;
    }
    case KnobKind::Path: {
      auto* container = new QWidget;
      auto* h = new QHBoxLayout(container);
      h->setContentsMargins(0, 0, 0, 0);
      auto* edit = new QLineEdit;
      edit->setPlaceholderText(tr("(none)"));
      auto* browse = new QToolButton;
      browse->setText(QStringLiteral("…"));
      browse->setObjectName("browse_" + QString::fromStdString(name));
      browse->setToolTip(tr("Choose a file"));
      h->addWidget(edit, 1);
      h->addWidget(browse);
      connect(edit, &QLineEdit::editingFinished, this, [this, name, edit] {
        if (!updating_) commitText(name, edit->text());
      });
      connect(browse, &QToolButton::clicked, this, [this, name, edit] {
        const QString file = QFileDialog::getOpenFileName(this, tr("Choose %1").arg(QString::fromStdString(name)),
                                                          edit->text(), tr("Data files (*.csv *.idx* *-ubyte*);;All files (*)"));
        if (file.isEmpty()) return;
        edit->setText(file);
        commitText(name, file);
      });
      edit->setProperty("container", QVariant::fromValue<QWidget*>(container));
      input = edit;
      break;
    }
    case KnobKind::Text:
    case KnobKind::IntList:
    case KnobKind::RealList:
    case KnobKind::ChoiceList: {
      auto* edit = new QLineEdit;
      if (spec.kind == KnobKind::IntList) edit->setPlaceholderText(tr("e.g. 1000,500,250"));
      if (spec.kind == KnobKind::RealList) edit->setPlaceholderText(tr("e.g. 0.01,0.005 (empty: global value)"));
      if (spec.kind == KnobKind::ChoiceList) {
        QStringList choices;
        for (const auto& ch : c.choices) choices << QString::fromStdString(ch);
        edit->setPlaceholderText(tr("comma list of %1 (empty: global)").arg(choices.join('/')));
      }
      connect(edit, &QLineEdit::editingFinished, this, [this, name, edit] {
        if (!updating_) commitText(name, edit->text());
      });
      input = edit;
      break;
    }
  }
  input->setObjectName("knob_" + QString::fromStdString(name));
  return input;
}

void ConfEditor::commitValue(const std::string& name, const json& value) {
  const Field& f = fields_.at(name);
  const std::string problem = checkKnobValue(*f.spec, value);
  if (!problem.empty()) {
    pending_[name] = ConfIssue{name, knobValueText(value), problem, describeAllowed(*f.spec)};
    revalidate();
    return;
  }
  const bool hadPending = pending_.erase(name) > 0;
  const json before = f.spec->get(conf_);
  if (before == value) {
    if (hadPending) {
      refreshField(f);
      revalidate();
    }
    return;
  }
  undo_->push(new KnobEditCommand(this, name, before, value));
}

void ConfEditor::commitText(const std::string& name, const QString& text) {
  const Field& f = fields_.at(name);
  const auto parsed = parseKnobText(*f.spec, text.toStdString());
  if (!parsed) {
    pending_[name] = ConfIssue{name, text.toStdString(), "cannot be read as " + std::string(knobKindName(f.spec->kind)),
                               describeAllowed(*f.spec)};
    revalidate();
    return;
  }
  commitValue(name, *parsed);
}

bool ConfEditor::setKnobText(const QString& name, const QString& text) {
  auto it = fields_.find(name.toStdString());
  if (it == fields_.end()) return false;
  const Field& f = it->second;
  // Put the text in the widget first, so a rejected value stays visible where it was typed.
  updating_ = true;
  if (auto* edit = qobject_cast<QLineEdit*>(f.input)) edit->setText(text);
  updating_ = false;
  commitText(it->first, text);
  return !pending_.count(it->first);
}

void ConfEditor::applyKnobValue(const std::string& name, const json& value) {
  const Field& f = fields_.at(name);
  f.spec->set(conf_, value);
  pending_.erase(name);
  refreshField(f);
  revalidate();
  emit confChanged();
}

void ConfEditor::setConf(const Conf& conf) {
  conf_ = conf;
  pending_.clear();
  for (const auto& [name, f] : fields_) refreshField(f);
  revalidate();
  emit confChanged();
}

void ConfEditor::refreshField(const Field& f) {
  const json value = f.spec->get(conf_);
  updating_ = true;
  if (auto* box = qobject_cast<QSpinBox*>(f.input)) {
    box->setValue(value.get<int>());
  } else if (auto* dbox = qobject_cast<QDoubleSpinBox*>(f.input)) {
    dbox->setValue(value.get<double>());
  } else if (auto* check = qobject_cast<QCheckBox*>(f.input)) {
    check->setChecked(value.get<bool>());
  } else if (auto* combo = qobject_cast<QComboBox*>(f.input)) {
    combo->setCurrentText(QString::fromStdString(value.get<std::string>()));
  } else if (auto* edit = qobject_cast<QLineEdit*>(f.input)) {
    edit->setText(QString::fromStdString(knobValueText(value)));
  }
  updating_ = false;
}

void ConfEditor::revalidate() {
  issues_ = validateConf(conf_);
  // A rejected input replaces what validateConf says about the (older) stored value.
  std::map<std::string, QStringList> byKnob;
  QStringList general;
  for (const auto& [name, issue] : pending_) byKnob[name] << issueText(issue);
  for (const ConfIssue& issue : issues_) {
    if (pending_.count(issue.knob)) continue;
    if (fields_.count(issue.knob)) byKnob[issue.knob] << issueText(issue);
    else general << QString::fromStdString(issue.message());
  }
  std::vector<int> perTab(static_cast<size_t>(groups_.size()), 0);
  for (auto& [name, f] : fields_) {
    auto it = byKnob.find(name);
    const bool bad = it != byKnob.end();
    if (f.input->property("invalid").toBool() != bad) {
      f.input->setProperty("invalid", bad);
      f.input->style()->unpolish(f.input);
      f.input->style()->polish(f.input);
    }
    f.error->setText(bad ? it->second.join('\n') : QString());
    f.error->setVisible(bad);
    f.label->setStyleSheet(bad ? "QLabel { color: #c62828; font-weight: bold; }" : QString());
    if (bad) ++perTab[static_cast<size_t>(f.tab)];
  }
  for (int t = 0; t < groups_.size(); ++t) {
    const int n = perTab[static_cast<size_t>(t)];
    tabs_->setTabText(t, n ? QStringLiteral("%1 (%2)").arg(groups_[t]).arg(n) : groups_[t]);
    tabs_->setTabIcon(t, n ? style()->standardIcon(QStyle::SP_MessageBoxWarning) : QIcon());
  }
  generalErrors_->setText(general.join('\n'));
  generalErrors_->setVisible(!general.isEmpty());

  // Warnings (a valid conf that trains nothing, ignored knobs): above the tabs, and under
  // the knob a warning starts with. They do not disable Start.
  warnings_.clear();
  std::map<std::string, QStringList> warnedKnobs;
  for (const std::string& w : confWarnings(conf_)) {
    warnings_ << QString::fromStdString(w);
    const std::string first = w.substr(0, w.find_first_of(" ="));
    if (fields_.count(first)) warnedKnobs[first] << QString::fromStdString(w);
  }
  QStringList lines;
  for (const QString& w : warnings_) lines << QStringLiteral("⚠ ") + w;
  warningsLabel_->setText(lines.join('\n'));
  warningsLabel_->setVisible(!warnings_.isEmpty());
  for (auto& [name, f] : fields_) {
    auto it = warnedKnobs.find(name);
    f.warning->setText(it == warnedKnobs.end() ? QString() : it->second.join('\n'));
    f.warning->setVisible(it != warnedKnobs.end());
  }
  updateApplicability();
  const bool valid = byKnob.empty() && general.isEmpty();
  if (valid != valid_) {
    valid_ = valid;
    emit validityChanged(valid_);
  }
}

void ConfEditor::updateApplicability() {
  for (auto& [name, f] : fields_) {
    const QString reason = QString::fromStdString(knobNotApplicable(*f.spec, conf_));
    const bool applies = reason.isEmpty();
    QWidget* container = f.input->property("container").value<QWidget*>();
    QWidget* w = container ? container : f.input;
    // A knob with a problem stays editable, so that it can be fixed.
    const bool enable = applies || f.input->property("invalid").toBool();
    if (w->isEnabled() != enable) w->setEnabled(enable);
    f.label->setEnabled(enable);
    const QString tip = applies ? tooltipFor(*f.spec) : QStringLiteral("<b>Not used:</b> %1<br><br>%2").arg(reason.toHtmlEscaped(), tooltipFor(*f.spec));
    f.label->setToolTip(tip);
    f.input->setToolTip(tip);
    f.input->setProperty("notApplicable", reason);
  }
}

QString ConfEditor::notApplicableReason(const QString& name) const {
  auto it = fields_.find(name.toStdString());
  return it == fields_.end() ? QString() : it->second.input->property("notApplicable").toString();
}

QString ConfEditor::fieldWarning(const QString& name) const {
  auto it = fields_.find(name.toStdString());
  return it == fields_.end() || it->second.warning->isHidden() ? QString() : it->second.warning->text();
}

QWidget* ConfEditor::field(const QString& name) const {
  auto it = fields_.find(name.toStdString());
  return it == fields_.end() ? nullptr : it->second.input;
}

QLabel* ConfEditor::fieldLabel(const QString& name) const {
  auto it = fields_.find(name.toStdString());
  return it == fields_.end() ? nullptr : it->second.label;
}

QString ConfEditor::fieldError(const QString& name) const {
  auto it = fields_.find(name.toStdString());
  return it == fields_.end() || it->second.error->isHidden() ? QString() : it->second.error->text();
}

QStringList ConfEditor::errorKnobs() const {
  QStringList out;
  for (const auto& [name, f] : fields_)
    if (f.input->property("invalid").toBool()) out << QString::fromStdString(name);
  return out;
}

std::vector<ConfIssue> ConfEditor::issues() const {
  std::vector<ConfIssue> out;
  for (const auto& [name, issue] : pending_) out.push_back(issue);
  for (const ConfIssue& issue : issues_)
    if (!pending_.count(issue.knob)) out.push_back(issue);
  return out;
}

}  // namespace scaleout::ui
