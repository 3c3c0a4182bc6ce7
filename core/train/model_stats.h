#pragma once
// Per-layer model-health statistics, as the DL4J training UI showed them: magnitudes of
// parameters, updates and activations, the update:parameter ratio, and histograms.
#include <Eigen/Core>

#include "config/conf.h"
#include "data/dataset.h"
#include "nn/network.h"
#include "train/observer.h"
#include "train/phase.h"

namespace scaleout {

Histogram histogramOf(const float* values, size_t count);

// `before` is the phase's range before the last round; activations come from a fixed
// sample of up to 100 training rows.
ModelStats computeModelStats(const Conf& conf, const NetworkLayout& layout, const Eigen::VectorXf& params,
                             const Eigen::VectorXf& before, const Phase& phase, const DataSet& train);

}  // namespace scaleout
