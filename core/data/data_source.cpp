#include "data/data_source.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <future>
#include <string>
#include <vector>

#include "data/batches.h"
#include "data/idx_cache.h"
#include "data/readers.h"
#include "util/error.h"
#include "util/rng.h"

namespace scaleout {
namespace {

struct RawPair {
  DataSet train;
  DataSet test;
  bool hasTest = false;
};

// Train and test pairs through the decoded-data cache, the test pair on a second thread:
// on a first load each inflates its own gzip files, so the two overlap. At most one note
// about the cache, so a cache dir that cannot be written costs one line, not two.
RawPair readPairs(const std::string& trainImages, const std::string& trainLabels, const std::string& testImages,
                  const std::string& testLabels) {
  const std::filesystem::path cacheDir = decodedCacheDir();
  RawPair raw;
  raw.hasTest = !testImages.empty();
  IdxCacheReport trainReport, testReport;
  std::future<DataSet> test;
  if (raw.hasTest) {
    test = std::async(std::launch::async, [&] { return readIdxCached(testImages, testLabels, cacheDir, &testReport); });
  }
  try {
    raw.train = readIdxCached(trainImages, trainLabels, cacheDir, &trainReport);
  } catch (...) {
    if (test.valid()) test.wait();  // the thread refers to this frame's locals
    throw;
  }
  if (raw.hasTest) raw.test = test.get();
  const std::string& problem = !trainReport.problem.empty() ? trainReport.problem : testReport.problem;
  if (!problem.empty()) raw.train.notes.push_back(problem);
  return raw;
}

RawPair loadFashionMnist() {
  const std::filesystem::path dir(kFashionMnistDir);
  const char* names[] = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"};
  for (const char* name : names) {
    const std::filesystem::path file = dir / name;
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) {
      throw ScaleoutError("dataset=fashion-mnist: " + file.string() +
                          ": no such file; install the Debian package dataset-fashion-mnist "
                          "(apt-get install dataset-fashion-mnist), or set dataset=idx with trainData/trainLabels");
    }
  }
  return readPairs((dir / names[0]).string(), (dir / names[1]).string(), (dir / names[2]).string(),
                   (dir / names[3]).string());
}

RawPair loadIdx(const Conf& conf) {
  if (conf.trainData.empty() || conf.trainLabels.empty()) {
    throw ScaleoutError("dataset=idx: trainData=\"" + conf.trainData + "\" trainLabels=\"" + conf.trainLabels +
                        "\", expected both set to IDX files");
  }
  if (conf.testData.empty() != conf.testLabels.empty()) {
    throw ScaleoutError("dataset=idx: testData=\"" + conf.testData + "\" testLabels=\"" + conf.testLabels +
                        "\", expected both set or both empty (then testFraction is held out)");
  }
  return readPairs(conf.trainData, conf.trainLabels, conf.testData, conf.testLabels);
}

RawPair loadCsv(const Conf& conf) {
  if (conf.trainData.empty()) {
    throw ScaleoutError("dataset=csv: trainData is empty, expected a CSV file");
  }
  CsvOptions options;
  options.labelColumn = conf.labelColumn;
  options.skipLines = conf.csvSkipLines;
  options.dropIncompleteRows = conf.dropIncompleteRows;
  RawPair raw;
  raw.train = readCsv(conf.trainData, options);
  if (!conf.testData.empty()) {
    // The test file's names must get the training file's numbers.
    options.knownClassNames = raw.train.classNames;
    raw.test = readCsv(conf.testData, options);
    raw.hasTest = true;
    if (raw.test.classNames.size() > raw.train.classNames.size()) {
      if (raw.train.classNames.empty()) {
        throw ScaleoutError("test data " + conf.testData + " has class names as labels but the training data " +
                            conf.trainData + " has numbers, expected both to use the same kind of label");
      }
      raw.train.classNames = raw.test.classNames;  // same order, with the test-only names appended
    }
  }
  return raw;
}

// Holds out a seeded random testFraction; both parts keep file order so that
// maxTrainSamples means "the first N" of what remains.
void holdOut(RawPair& raw, const Conf& conf) {
  const size_t n = raw.train.size();
  if (!(conf.testFraction >= 0 && conf.testFraction < 1)) {
    throw ScaleoutError("testFraction " + std::to_string(conf.testFraction) + " is invalid, expected [0, 0.9]");
  }
  const auto nTest = static_cast<size_t>(std::llround(conf.testFraction * static_cast<double>(n)));
  if (nTest >= n) {
    throw ScaleoutError("testFraction " + std::to_string(conf.testFraction) + " of the " + std::to_string(n) +
                        " samples in " + raw.train.source + " leaves no training data, expected a smaller "
                        "fraction or more samples");
  }
  Rng rng(static_cast<uint64_t>(conf.seed));
  const std::vector<uint32_t> order = shuffledIndices(n, rng);
  std::vector<uint32_t> testRows(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(nTest));
  std::vector<uint32_t> trainRows(order.begin() + static_cast<std::ptrdiff_t>(nTest), order.end());
  std::sort(testRows.begin(), testRows.end());
  std::sort(trainRows.begin(), trainRows.end());
  raw.test = subset(raw.train, testRows);
  raw.train = subset(raw.train, trainRows);
  raw.test.source += " (held-out " + std::to_string(nTest) + " rows)";
}

}  // namespace

TrainTestData loadTrainTest(const Conf& conf) {
  RawPair raw;
  const DataSourceKind source = parseChoice<DataSourceKind>("dataset", conf.dataset);
  switch (source) {
    case DataSourceKind::FashionMnist: raw = loadFashionMnist(); break;
    case DataSourceKind::Idx: raw = loadIdx(conf); break;
    case DataSourceKind::Csv: raw = loadCsv(conf); break;
  }

  if (raw.hasTest) {
    if (raw.test.dims() != raw.train.dims()) {
      throw ScaleoutError("test data " + raw.test.source + " has " + std::to_string(raw.test.dims()) +
                          " columns per sample, expected " + std::to_string(raw.train.dims()) +
                          " as in the training data " + raw.train.source);
    }
  } else {
    holdOut(raw, conf);
  }

  if (conf.maxTrainSamples > 0 && static_cast<size_t>(conf.maxTrainSamples) < raw.train.size()) {
    const auto keep = static_cast<Eigen::Index>(conf.maxTrainSamples);
    raw.train.features.conservativeResize(keep, Eigen::NoChange);
    raw.train.labels.resize(static_cast<size_t>(keep));
    if (raw.train.sourceLines.size() > static_cast<size_t>(keep)) raw.train.sourceLines.resize(static_cast<size_t>(keep));
  }

  // A class missing from one side must still have an output unit on both.
  const int classes = std::max(raw.train.numClasses, raw.test.numClasses);
  raw.train.numClasses = classes;
  raw.test.numClasses = classes;

  TrainTestData out;
  out.notes = raw.train.notes;
  if (raw.hasTest) out.notes.insert(out.notes.end(), raw.test.notes.begin(), raw.test.notes.end());
  out.normalizer = Normalizer::fit(raw.train, parseChoice<Normalization>("normalize", conf.normalize));
  out.normalizer.apply(raw.train.features);
  // Tabular test rows keep their values as read, for the GUI's drill-down.
  if (source == DataSourceKind::Csv) raw.test.rawFeatures = raw.test.features;
  if (raw.test.size() > 0) out.normalizer.apply(raw.test.features);
  out.train = std::move(raw.train);
  out.test = std::move(raw.test);
  return out;
}

}  // namespace scaleout
