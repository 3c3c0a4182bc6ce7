#pragma once
// Light / Dark / System themes. Qt 6.4 has no colour-scheme API, so "dark" is decided
// from the palette (window colour lightness below one half), and Light/Dark install a
// Fusion palette of our own. Charts (QCustomPlot draws with its own pens) follow the
// palette: background, axes, grid, tick labels, titles, legends and marker labels.
// The choice is stored in QSettings ("view/theme": system | light | dark).
#include <QColor>
#include <QIcon>
#include <QPalette>
#include <QString>

class QCustomPlot;
class QStyle;

namespace scaleout::ui {

bool paletteIsDark(const QPalette& palette);
bool darkThemeActive();  // the application palette now

QString storedTheme();                   // from QSettings, "system" by default
void applyTheme(const QString& theme);   // app palette and style, every chart; stores the choice

// A style's standard icon drawn in `color` (its shape kept, its pixels recoloured): the
// Fusion media icons are black, invisible on the dark theme's toolbar.
QIcon tintedStandardIcon(QStyle* style, int standardPixmap, const QColor& color);

struct ChartColors {
  QColor background, foreground, grid, subGrid, labelBackground;
};
ChartColors chartColors(bool dark);
void applyChartTheme(QCustomPlot* plot, bool dark);
void applyChartThemeToAll();  // every QCustomPlot of the application, replotted

}  // namespace scaleout::ui
