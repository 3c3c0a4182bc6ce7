#pragma once
// Classification metrics and reconstruction errors for a trained network.
#include <string>
#include <vector>

#include <Eigen/Core>

#include "config/conf.h"
#include "data/dataset.h"
#include "nn/network.h"

namespace scaleout {

struct EvalReport {
  std::string phase;  // when during the run it was taken
  int epoch = 0;
  long long iteration = 0;
  size_t samples = 0;
  int classes = 0;
  double accuracy = 0;
  double logLoss = 0;
  double macroF1 = 0;
  std::vector<double> precision, recall, f1;          // per class
  std::vector<std::vector<long long>> confusion;      // [actual][predicted]
  std::vector<float> reconstructionErrors;            // per pretrained layer
  std::vector<std::string> classNames;                // from the data; empty: classes are numbers
  bool hasClassification = false;

  std::string format() const;  // multi-line text for the CLI
};

// Class probabilities for every row of `data` (in chunks, to bound memory). With
// threads > 1 the chunks are shared among that many threads; each chunk is computed the
// same way whatever the thread count, so the result is bit-identical.
Eigen::MatrixXf predictProbabilities(const Conf& conf, const NetworkLayout& layout, const Eigen::VectorXf& params,
                                     const RowMatrix& features, int threads = 1);

// Classification metrics for stacks; reconstruction error per pretrained layer for
// layer-wise nets (computed on at most `maxReconstructionSamples` rows). `threads` as
// for predictProbabilities: the report does not depend on it.
EvalReport evaluate(const Conf& conf, const NetworkLayout& layout, const Eigen::VectorXf& params, const DataSet& data,
                    size_t maxReconstructionSamples = 2000, int threads = 1);

}  // namespace scaleout
