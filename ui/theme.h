#pragma once
// Light / Dark / System themes. Qt 6.4 has no colour-scheme API, so "dark" is decided
// from the palette (window colour lightness below one half), and Light/Dark install a
// Fusion palette of our own. Charts (QCustomPlot draws with its own pens) follow the
// palette: background, axes, grid, tick labels, titles, legends and marker labels.
// The choice is stored in QSettings ("view/theme": system | light | dark).
#include <QColor>
#include <QPalette>
#include <QString>

class QCustomPlot;

namespace scaleout::ui {

bool paletteIsDark(const QPalette& palette);
bool darkThemeActive();  // the application palette now

QString storedTheme();                   // from QSettings, "system" by default
void applyTheme(const QString& theme);   // app palette and style, every chart; stores the choice

struct ChartColors {
  QColor background, foreground, grid, subGrid, labelBackground;
};
ChartColors chartColors(bool dark);
void applyChartTheme(QCustomPlot* plot, bool dark);
void applyChartThemeToAll();  // every QCustomPlot of the application, replotted

}  // namespace scaleout::ui
