#include "sci_spin_box.h"

#include <QLocale>

namespace scaleout::ui {

ScientificSpinBox::ScientificSpinBox(QWidget* parent) : QDoubleSpinBox(parent) {
  setDecimals(15);  // the stored value keeps its precision; the text is %g
  setStepType(QAbstractSpinBox::AdaptiveDecimalStepType);
  setKeyboardTracking(false);
}

QString ScientificSpinBox::textFromValue(double value) const { return QString::number(value, 'g', 10); }

double ScientificSpinBox::valueFromText(const QString& text) const {
  bool ok = false;
  double v = QLocale::c().toDouble(text.trimmed(), &ok);
  if (!ok) v = locale().toDouble(text.trimmed(), &ok);
  return ok ? v : value();
}

QValidator::State ScientificSpinBox::validate(QString& text, int& /*pos*/) const {
  const QString t = text.trimmed();
  if (t.isEmpty() || t == "-" || t == "+" || t == "." || t.endsWith('e', Qt::CaseInsensitive) ||
      t.endsWith("e-", Qt::CaseInsensitive) || t.endsWith("e+", Qt::CaseInsensitive))
    return QValidator::Intermediate;
  bool ok = false;
  double v = QLocale::c().toDouble(t, &ok);
  if (!ok) v = locale().toDouble(t, &ok);
  if (!ok) return QValidator::Invalid;
  return (v >= minimum() && v <= maximum()) ? QValidator::Acceptable : QValidator::Intermediate;
}

}  // namespace scaleout::ui
