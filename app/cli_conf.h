#pragma once
// Shared by subcommands that take a conf: loads CONF.json (or the defaults), applies
// every --set name=value, validates, and prints all problems at once.
#include <optional>

#include <QCommandLineParser>
#include <QString>

#include "config/conf.h"

void addConfOptions(QCommandLineParser& parser);
// Returns nullopt after printing every problem to stderr.
std::optional<scaleout::Conf> confFromCommandLine(const QCommandLineParser& parser, const QString& confPath);
