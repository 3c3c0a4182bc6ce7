#include "steering_panel.h"

#include <limits>

#include <QCheckBox>
#include <QFormLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>

#include "config/knob.h"
#include "config/knob_registry.h"
#include "sci_spin_box.h"

namespace scaleout::ui {

namespace {

QWidget* makeField(const KnobSpec& spec) {
  const double lo = spec.constraint.min.value_or(-std::numeric_limits<double>::max());
  const double hi = spec.constraint.max.value_or(std::numeric_limits<double>::max());
  switch (spec.kind) {
    case KnobKind::Real: {
      auto* box = new ScientificSpinBox;
      box->setRange(lo, hi);
      return box;
    }
    case KnobKind::Int: {
      auto* box = new QSpinBox;
      box->setRange(static_cast<int>(std::max(lo, double(std::numeric_limits<int>::min()))),
                    static_cast<int>(std::min(hi, double(std::numeric_limits<int>::max()))));
      return box;
    }
    case KnobKind::Bool:
      return new QCheckBox;
    default:
      return new QLineEdit;  // text, choices and lists: typed as for --set
  }
}

}  // namespace

SteeringPanel::SteeringPanel(QWidget* parent)
    : QGroupBox(tr("Steering (applied at the next round)"), parent), apply_(new QPushButton(tr("Apply"))) {
  setObjectName("steeringPanel");
  auto* form = new QFormLayout(this);
  for (const KnobSpec& spec : knobRegistry()) {
    if (!spec.steerable) continue;
    QWidget* field = makeField(spec);
    field->setObjectName(QString::fromStdString("steer_" + spec.name));
    field->setToolTip(QString::fromStdString(spec.help + " (" + spec.name + ")"));
    form->addRow(QString::fromStdString(spec.label), field);
    rows_.push_back({&spec, field, QString()});
  }
  apply_->setObjectName("steerApply");
  form->addRow(apply_);
  connect(apply_, &QPushButton::clicked, this, &SteeringPanel::apply);
  setCurrent(Conf{});
  setRunning(false);
}

SteeringPanel::Row* SteeringPanel::row(const QString& knob) {
  for (Row& r : rows_)
    if (QString::fromStdString(r.spec->name) == knob) return &r;
  return nullptr;
}

const SteeringPanel::Row* SteeringPanel::row(const QString& knob) const {
  return const_cast<SteeringPanel*>(this)->row(knob);
}

QString SteeringPanel::textOf(const Row& r) {
  if (auto* box = dynamic_cast<ScientificSpinBox*>(r.field)) return QString::number(box->value(), 'g', 9);
  if (auto* box = dynamic_cast<QSpinBox*>(r.field)) return QString::number(box->value());
  if (auto* box = dynamic_cast<QCheckBox*>(r.field)) return box->isChecked() ? "true" : "false";
  return static_cast<QLineEdit*>(r.field)->text();
}

void SteeringPanel::setText(Row& r, const QString& text) {
  if (auto* box = dynamic_cast<ScientificSpinBox*>(r.field))
    box->setValue(text.toDouble());
  else if (auto* box = dynamic_cast<QSpinBox*>(r.field))
    box->setValue(text.toInt());
  else if (auto* box = dynamic_cast<QCheckBox*>(r.field))
    box->setChecked(text == "true");
  else
    static_cast<QLineEdit*>(r.field)->setText(text);
}

void SteeringPanel::setCurrent(const Conf& conf) {
  for (Row& r : rows_) setCurrentValue(QString::fromStdString(r.spec->name), QString::fromStdString(knobValueText(r.spec->get(conf))));
}

void SteeringPanel::setCurrentValue(const QString& knob, const QString& text) {
  if (Row* r = row(knob)) {
    setText(*r, text);
    r->current = textOf(*r);
  }
}

void SteeringPanel::setRunning(bool running) {
  for (Row& r : rows_) r.field->setEnabled(running);
  apply_->setEnabled(running);
}

QStringList SteeringPanel::knobs() const {
  QStringList names;
  for (const Row& r : rows_) names << QString::fromStdString(r.spec->name);
  return names;
}

QWidget* SteeringPanel::field(const QString& knob) const {
  const Row* r = row(knob);
  return r ? r->field : nullptr;
}

QString SteeringPanel::fieldText(const QString& knob) const {
  const Row* r = row(knob);
  return r ? textOf(*r) : QString();
}

void SteeringPanel::setFieldText(const QString& knob, const QString& text) {
  if (Row* r = row(knob)) setText(*r, text);
}

void SteeringPanel::apply() {
  // Only what the user changed: an untouched field must not overwrite a value the master
  // holds.
  for (Row& r : rows_) {
    const QString text = textOf(r);
    if (text == r.current) continue;
    r.current = text;
    emit knobRequested(QString::fromStdString(r.spec->name), text);
  }
}

}  // namespace scaleout::ui
