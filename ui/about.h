#pragma once
// The About box's text: the app's version and those of the libraries it runs on.
#include <QString>

namespace scaleout::ui {

QString aboutText();  // rich text

}  // namespace scaleout::ui
