#pragma once
// Shared by subcommands that take a conf: loads CONF.json (or the defaults), applies
// every --set name=value, validates, and prints all problems at once.
#include <optional>

#include <QCommandLineParser>
#include <QString>

#include "config/conf.h"
#include "data/shape_from_data.h"

void addConfOptions(QCommandLineParser& parser);
// Returns nullopt after printing every problem to stderr.
// `given`, when not null, says whether the conf file or a --set gave nIn and nOut.
std::optional<scaleout::Conf> confFromCommandLine(const QCommandLineParser& parser, const QString& confPath,
                                                  scaleout::GivenShape* given = nullptr);
