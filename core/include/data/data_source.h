#pragma once
// Resolves the Data knobs of a Conf into a normalised train/test pair.
#include <string>
#include <vector>

#include "config/conf.h"
#include "data/dataset.h"
#include "data/normalizer.h"

namespace scaleout {

inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

struct TrainTestData {
  DataSet train;
  DataSet test;
  Normalizer normalizer;  // fitted on train, already applied to both
  std::vector<std::string> notes;  // the readers' decisions (header, delimiter, dropped rows)
};

// dataset=fashion-mnist reads kFashionMnistDir (error names the Debian package
// dataset-fashion-mnist when missing); idx reads trainData/trainLabels; csv reads
// trainData with labelColumn. Without test files, a seeded testFraction of the
// training rows is held out. maxTrainSamples > 0 keeps only that many training rows.
TrainTestData loadTrainTest(const Conf& conf);

}  // namespace scaleout
