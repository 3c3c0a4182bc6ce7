#pragma once
// SteeringPanel: change a running job's steerable knobs (knobs.def's `steer` column: the
// learning rates, averaging frequency and local worker threads today). One field per
// steerable knob, built from the registry: a knob made steerable there appears here with
// no other edit. Apply sends only the fields the user changed, as --set text; the master
// applies them at the next round and reports each change back (marked on the charts).
#include <QGroupBox>
#include <QString>
#include <QStringList>
#include <string>
#include <vector>

#include "config/conf.h"

class QPushButton;

namespace scaleout {
struct KnobSpec;
}

namespace scaleout::ui {

class SteeringPanel : public QGroupBox {
  Q_OBJECT
 public:
  explicit SteeringPanel(QWidget* parent = nullptr);
  // The values in force: the run's conf when it starts, then each change it reports.
  void setCurrent(const Conf& conf);
  void setCurrentValue(const QString& knob, const QString& text);
  void setRunning(bool running);

  // The steerable knobs, in registry order, and the field of one (objectName
  // "steer_<knob>"; a spin box, check box or line edit by the knob's kind), or null.
  QStringList knobs() const;
  QWidget* field(const QString& knob) const;
  // A field's value as --set text, and setting it from such text (what a user types).
  QString fieldText(const QString& knob) const;
  void setFieldText(const QString& knob, const QString& text);
  QPushButton* applyButton() const { return apply_; }

 signals:
  void knobRequested(const QString& knob, const QString& text);

 private:
  struct Row {
    const KnobSpec* spec;
    QWidget* field;
    QString current;  // the value in force, as fieldText() gives it
  };
  Row* row(const QString& knob);
  const Row* row(const QString& knob) const;
  static QString textOf(const Row& r);
  static void setText(Row& r, const QString& text);
  void apply();
  std::vector<Row> rows_;
  QPushButton* apply_;
};

}  // namespace scaleout::ui
