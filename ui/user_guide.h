#pragma once
// Help > User Guide: the README's section on the desktop application, compiled into the
// program (resource :/docs/README.md) so that it is there wherever the binary is.
#include <QString>

namespace scaleout::ui {

// Markdown from "## The desktop application" up to the next "## " heading, followed by a
// pointer to the rest (README, `man scaleout`); a short note if the resource is missing.
QString userGuideMarkdown();

}  // namespace scaleout::ui
