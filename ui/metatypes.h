#pragma once
// The core's observer payloads as Qt metatypes, so they travel in queued signals.
#include <QMetaType>
#include <QString>
#include <QVector>

#include "train/observer.h"

Q_DECLARE_METATYPE(scaleout::PhaseInfo)
Q_DECLARE_METATYPE(scaleout::IterationInfo)
Q_DECLARE_METATYPE(QVector<scaleout::IterationInfo>)
Q_DECLARE_METATYPE(scaleout::RoundInfo)
Q_DECLARE_METATYPE(scaleout::EpochInfo)
Q_DECLARE_METATYPE(scaleout::EvalReport)
Q_DECLARE_METATYPE(scaleout::ModelStats)
Q_DECLARE_METATYPE(scaleout::FilterSnapshot)
Q_DECLARE_METATYPE(scaleout::SteeringChange)
Q_DECLARE_METATYPE(scaleout::RunSummary)

namespace scaleout::ui {
// Idempotent; call before connecting signals that carry these types.
void registerMetaTypes();
}  // namespace scaleout::ui
