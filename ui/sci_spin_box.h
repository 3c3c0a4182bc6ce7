#pragma once
// A QDoubleSpinBox that shows and reads numbers in %g form, so 1e-05 and 0.9 both fit
// and small learning rates are not rounded to 0.00 by a fixed number of decimals.
#include <QDoubleSpinBox>

namespace scaleout::ui {

class ScientificSpinBox : public QDoubleSpinBox {
 public:
  explicit ScientificSpinBox(QWidget* parent = nullptr);
  QString textFromValue(double value) const override;
  double valueFromText(const QString& text) const override;
  QValidator::State validate(QString& text, int& pos) const override;
};

}  // namespace scaleout::ui
