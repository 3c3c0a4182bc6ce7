#pragma once
// Subcommands of the `scaleout` executable. Each takes the arguments after its name
// and returns the process exit code. They only parse and print; the work is in core.
#include <QStringList>

int runKnobsCommand(const QStringList& args);
int runCheckCommand(const QStringList& args);
int runTrainCommand(const QStringList& args);
int runEvalCommand(const QStringList& args);
int runPredictCommand(const QStringList& args);
int runWorkerCommand(const QStringList& args);
