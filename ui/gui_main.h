#pragma once
// Entry point of the desktop app: `scaleout` with no command, or `scaleout gui [CONF.json]`.
// Creates the QApplication (the headless commands never do).
namespace scaleout::ui {

int runGui(int argc, char** argv);

}  // namespace scaleout::ui
