#include "theme.h"

#include <QApplication>
#include <QPainter>
#include <QSettings>
#include <QStyle>
#include <QStyleFactory>

#include "qcustomplot.h"

namespace scaleout::ui {

bool paletteIsDark(const QPalette& palette) { return palette.color(QPalette::Window).lightness() < 128; }

bool darkThemeActive() { return qApp && paletteIsDark(QApplication::palette()); }

QString storedTheme() {
  const QString t = QSettings().value("view/theme", "system").toString();
  return t == "light" || t == "dark" ? t : QStringLiteral("system");
}

namespace {
QPalette darkPalette() {
  QPalette p;
  p.setColor(QPalette::Window, QColor(45, 45, 48));
  p.setColor(QPalette::WindowText, Qt::white);
  p.setColor(QPalette::Base, QColor(30, 30, 30));
  p.setColor(QPalette::AlternateBase, QColor(45, 45, 48));
  p.setColor(QPalette::Text, Qt::white);
  p.setColor(QPalette::Button, QColor(55, 55, 58));
  p.setColor(QPalette::ButtonText, Qt::white);
  p.setColor(QPalette::Highlight, QColor(42, 130, 218));
  p.setColor(QPalette::HighlightedText, Qt::black);
  p.setColor(QPalette::ToolTipBase, QColor(60, 60, 60));
  p.setColor(QPalette::ToolTipText, Qt::white);
  p.setColor(QPalette::PlaceholderText, QColor(150, 150, 150));
  p.setColor(QPalette::Link, QColor(100, 170, 255));
  p.setColor(QPalette::Disabled, QPalette::Text, QColor(120, 120, 120));
  p.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(120, 120, 120));
  p.setColor(QPalette::Disabled, QPalette::WindowText, QColor(120, 120, 120));
  return p;
}
}  // namespace

void applyTheme(const QString& theme) {
  QSettings().setValue("view/theme", theme);
  // What the platform gave us, captured before the first change.
  static const QPalette systemPalette = QApplication::palette();
  static const QString systemStyle = QApplication::style()->name();
  if (theme == "dark") {
    QApplication::setStyle(QStyleFactory::create("Fusion"));
    QApplication::setPalette(darkPalette());
  } else if (theme == "light") {
    QApplication::setStyle(QStyleFactory::create("Fusion"));
    QApplication::setPalette(QApplication::style()->standardPalette());
  } else {
    if (QApplication::style()->name() != systemStyle) QApplication::setStyle(QStyleFactory::create(systemStyle));
    QApplication::setPalette(systemPalette);
  }
  // Widgets under a style sheet keep the palette they were polished with: polish them
  // again (resetting the sheet does it, for them and their children).
  for (QWidget* w : QApplication::allWidgets()) {
    const QString sheet = w->styleSheet();
    if (sheet.isEmpty()) continue;
    w->setStyleSheet(QString());
    w->setStyleSheet(sheet);
  }
  applyChartThemeToAll();
}

QIcon tintedStandardIcon(QStyle* style, int standardPixmap, const QColor& color) {
  const QIcon base = style->standardIcon(static_cast<QStyle::StandardPixmap>(standardPixmap));
  QIcon out;
  QColor disabled = color;
  disabled.setAlphaF(0.4f);
  for (int size : {16, 20, 22, 24, 32, 48}) {
    const QPixmap shape = base.pixmap(size, size);
    if (shape.isNull()) continue;
    for (const auto& [mode, c] : {std::pair{QIcon::Normal, color}, {QIcon::Disabled, disabled}}) {
      QPixmap pm = shape;
      QPainter p(&pm);
      p.setCompositionMode(QPainter::CompositionMode_SourceIn);  // keep the alpha, replace the colour
      p.fillRect(pm.rect(), c);
      p.end();
      out.addPixmap(pm, mode);
    }
  }
  return out;
}

ChartColors chartColors(bool dark) {
  if (dark) return {QColor(37, 37, 38), QColor(220, 220, 220), QColor(80, 80, 80), QColor(55, 55, 55), QColor(37, 37, 38, 190)};
  return {Qt::white, Qt::black, QColor(200, 200, 200), QColor(225, 225, 225), QColor(255, 255, 255, 190)};
}

void applyChartTheme(QCustomPlot* plot, bool dark) {
  const ChartColors c = chartColors(dark);
  plot->setBackground(QBrush(c.background));
  for (QCPAxisRect* rect : plot->axisRects()) {
    rect->setBackground(QBrush(c.background));
    for (QCPAxis* axis : rect->axes()) {
      axis->setBasePen(QPen(c.foreground, 0));
      axis->setTickPen(QPen(c.foreground, 0));
      axis->setSubTickPen(QPen(c.foreground, 0));
      axis->setTickLabelColor(c.foreground);
      axis->setLabelColor(c.foreground);
      axis->grid()->setPen(QPen(c.grid, 0, Qt::DotLine));
      axis->grid()->setSubGridPen(QPen(c.subGrid, 0, Qt::DotLine));
      axis->grid()->setZeroLinePen(Qt::NoPen);
    }
  }
  for (QCPLayoutElement* e : plot->plotLayout()->elements(true))
    if (auto* text = qobject_cast<QCPTextElement*>(e)) text->setTextColor(c.foreground);
  plot->legend->setBrush(QBrush(c.labelBackground));
  plot->legend->setTextColor(c.foreground);
  plot->legend->setBorderPen(QPen(c.grid, 0));
  // Marker labels carry a background box; cell counts (no box) keep their own colours.
  for (int i = 0; i < plot->itemCount(); ++i)
    if (auto* text = qobject_cast<QCPItemText*>(plot->item(i)); text && text->brush().style() != Qt::NoBrush)
      text->setBrush(QBrush(c.labelBackground));
  plot->setProperty("scaleoutDark", dark);
}

void applyChartThemeToAll() {
  const bool dark = darkThemeActive();
  for (QWidget* w : QApplication::allWidgets())
    if (auto* plot = qobject_cast<QCustomPlot*>(w)) {
      applyChartTheme(plot, dark);
      plot->replot(QCustomPlot::rpQueuedReplot);
    }
}

}  // namespace scaleout::ui
