#include "config/conf_warnings.h"

#include <sstream>

#include "config/choices.h"
#include "config/plan.h"

namespace scaleout {
namespace {

bool pretrainsRbms(const std::string& c) {
  return choiceIs(c, NetworkClass::Dbn) || choiceIs(c, NetworkClass::Cdbn);
}

// Rounds shorter than this many minibatches: see the outerMomentum warning below.
constexpr int kOuterMinAveragingFrequency = 20;

std::string number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

}  // namespace

std::vector<std::string> confWarnings(const Conf& conf) {
  std::vector<std::string> w;
  if (choiceIs(conf.optimizationAlgorithm, Optimization::ConjugateGradient)) {
    const std::string ignored = " is ignored by optimizationAlgorithm=conjugateGradient";
    if (conf.momentum > 0) w.push_back("momentum " + number(conf.momentum) + ignored + " (it steps by line search, without velocity)");
    if (conf.useAdaGrad) w.push_back("useAdaGrad" + ignored + " (its step comes from the line search)");
    if (!conf.learningRateByLayer.empty())
      w.push_back("learningRateByLayer" + ignored + " (one line-search step for all layers; the base rate is its first trial step)");
    if (conf.dropout > 0)
      w.push_back(std::string(conf.useDropConnect ? "useDropConnect with dropout " : "dropout ") + number(conf.dropout) + ignored +
                  " (the line search needs a deterministic loss)");
  }
  const bool pretrains = !choiceIs(conf.networkClass, NetworkClass::Mlp) && conf.pretrainEpochs > 0;
  if (isStackNetwork(conf.networkClass) && conf.finetuneEpochs == 0 && !pretrains)
    w.push_back("finetuneEpochs is 0 and nothing is pretrained: the run will train nothing");
  else if (isStackNetwork(conf.networkClass) && conf.finetuneEpochs == 0)
    w.push_back("finetuneEpochs is 0: the output layer stays untrained, so the model's accuracy means nothing");
  // A single layer (rbm, crbm, da) is trained only by its pretraining phase.
  if (!isStackNetwork(conf.networkClass) && conf.pretrainEpochs == 0)
    w.push_back("pretrainEpochs is 0 and networkClass=" + conf.networkClass +
                " is trained only by pretraining: the run will train nothing");
  // A phase with every rate 0 runs its epochs and changes no weight (conjugate gradient's
  // line search starts from the rate too).
  auto allZero = [&](double global) {
    if (global != 0) return false;
    for (double r : conf.learningRateByLayer)
      if (r != 0) return false;
    return true;
  };
  if (isStackNetwork(conf.networkClass) && conf.finetuneEpochs > 0 && conf.finetuneLearningRate == 0)
    w.push_back("finetuneLearningRate is 0: finetuning runs its epochs and changes no weight of the output layer");
  if (!choiceIs(conf.networkClass, NetworkClass::Mlp) && conf.pretrainEpochs > 0 && allZero(conf.pretrainLearningRate))
    w.push_back("pretrainLearningRate is 0: pretraining runs its epochs and changes no weight");
  if (pretrainsRbms(conf.networkClass) && conf.pretrainEpochs > 0) {
    // Pretraining fits each layer's weights to sigmoid hidden means, p(h|v) = sigmoid(Wv + b)
    // (CD-k); finetuning then runs the same weights through each layer's activation.
    std::vector<std::string> other;  // "layer 2 relu"
    for (size_t i = 0; i < conf.layerSizes.size(); ++i) {
      const std::string& a = i < conf.activationByLayer.size() ? conf.activationByLayer[i] : conf.activation;
      if (!choiceIs(a, Activation::Sigmoid)) other.push_back("layer " + std::to_string(i + 1) + " " + a);
    }
    if (!other.empty()) {
      std::string through = "activation=" + conf.activation;
      if (!conf.activationByLayer.empty()) {
        through = "activationByLayer (";
        for (size_t i = 0; i < other.size(); ++i) through += (i ? ", " : "") + other[i];
        through += ")";
      }
      w.push_back("networkClass=" + conf.networkClass + " with pretrainEpochs=" + std::to_string(conf.pretrainEpochs) +
                  " pretrains its hidden layers as RBMs with sigmoid hidden means, then finetunes the same weights "
                  "through " + through + ": the pretrained features are used through another unit function. "
                  "activation=sigmoid keeps them; pretrainEpochs=0 skips pretraining (README, \"Pretraining and unit functions\")");
    }
  }
  // The outer optimizer (Trainer::Impl::applyOuterStep) acts across rounds. Over short
  // rounds its momentum compounds with the workers' own: it diverged on the reference MLP
  // (docs/cluster.md, "Outer optimizer").
  if (conf.outerMomentum > 0 && conf.averagingFrequency < kOuterMinAveragingFrequency)
    w.push_back("outerMomentum " + number(conf.outerMomentum) + " with averagingFrequency " +
                std::to_string(conf.averagingFrequency) + " (below " + std::to_string(kOuterMinAveragingFrequency) +
                "): over rounds this short the outer momentum compounds with momentum and training can diverge; "
                "raise averagingFrequency (remote workers' rounds sized by time are longer)");
  return w;
}

}  // namespace scaleout
