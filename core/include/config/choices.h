#pragma once
// One enum per choice knob of knobs.def, and the names files, --set and the GUI use for
// its values. Everything past the Conf (the Plan, nn, train, data, cluster, the front
// ends) works with the enums; the names appear only here and in knobs.def, and
// test_plan checks that every choice a knob lists parses into its enum.
#include <optional>
#include <string>
#include <string_view>

namespace scaleout {

enum class NetworkClass { Mlp, Dbn, Cdbn, Sda, Rbm, Crbm, Da };
// Hidden and output activations (the output knob offers softmax, sigmoid and linear).
enum class Activation { Sigmoid, Tanh, HardTanh, Relu, LeakyRelu, Softplus, Linear, Softmax };
enum class OutputLoss { MultiClassCrossEntropy, CrossEntropy, SquaredError };
enum class ReconstructionLoss { CrossEntropy, SquaredError };
enum class WeightInit { Xavier, Normal, Zero };
// Continuous is no knob value: a CDBN's first layer always has continuous visible units.
enum class VisibleUnit { Binary, Gaussian, Linear, Softmax, Continuous };
enum class HiddenUnit { Binary, Rectified, Gaussian, Softmax };
enum class RateSchedule { Constant, Step, Exponential, Inverse, Cosine };
enum class Optimization { Sgd, ConjugateGradient };
enum class DataSourceKind { FashionMnist, Idx, Csv };
enum class Normalization { Scale, ZScore, None };
enum class StatePolicy { Average, PerWorker };
enum class RateScaling { None, Sqrt, Linear };
enum class LinkCompression { None, BFloat16, Int8 };

template <typename E>
struct ChoiceName {
  E value;
  std::string_view name;
};

// Choices<E>::names: every value of E with its name.
template <typename E>
struct Choices;

#define SCALEOUT_CHOICES(Enum, ...)                              \
  template <>                                                    \
  struct Choices<Enum> {                                         \
    static constexpr ChoiceName<Enum> names[] = {__VA_ARGS__};   \
  };
SCALEOUT_CHOICES(NetworkClass, {NetworkClass::Mlp, "mlp"}, {NetworkClass::Dbn, "dbn"}, {NetworkClass::Cdbn, "cdbn"},
                 {NetworkClass::Sda, "sda"}, {NetworkClass::Rbm, "rbm"}, {NetworkClass::Crbm, "crbm"},
                 {NetworkClass::Da, "da"})
SCALEOUT_CHOICES(Activation, {Activation::Sigmoid, "sigmoid"}, {Activation::Tanh, "tanh"},
                 {Activation::HardTanh, "hardtanh"}, {Activation::Relu, "relu"}, {Activation::LeakyRelu, "leakyrelu"},
                 {Activation::Softplus, "softplus"}, {Activation::Linear, "linear"}, {Activation::Softmax, "softmax"})
SCALEOUT_CHOICES(OutputLoss, {OutputLoss::MultiClassCrossEntropy, "mcxent"}, {OutputLoss::CrossEntropy, "xent"},
                 {OutputLoss::SquaredError, "squaredError"})
SCALEOUT_CHOICES(ReconstructionLoss, {ReconstructionLoss::CrossEntropy, "reconstructionCrossEntropy"},
                 {ReconstructionLoss::SquaredError, "squaredError"})
SCALEOUT_CHOICES(WeightInit, {WeightInit::Xavier, "xavier"}, {WeightInit::Normal, "normal"}, {WeightInit::Zero, "zero"})
SCALEOUT_CHOICES(VisibleUnit, {VisibleUnit::Binary, "binary"}, {VisibleUnit::Gaussian, "gaussian"},
                 {VisibleUnit::Linear, "linear"}, {VisibleUnit::Softmax, "softmax"},
                 {VisibleUnit::Continuous, "continuous"})
SCALEOUT_CHOICES(HiddenUnit, {HiddenUnit::Binary, "binary"}, {HiddenUnit::Rectified, "rectified"},
                 {HiddenUnit::Gaussian, "gaussian"}, {HiddenUnit::Softmax, "softmax"})
SCALEOUT_CHOICES(RateSchedule, {RateSchedule::Constant, "constant"}, {RateSchedule::Step, "step"},
                 {RateSchedule::Exponential, "exponential"}, {RateSchedule::Inverse, "inverse"},
                 {RateSchedule::Cosine, "cosine"})
SCALEOUT_CHOICES(Optimization, {Optimization::Sgd, "sgd"}, {Optimization::ConjugateGradient, "conjugateGradient"})
SCALEOUT_CHOICES(DataSourceKind, {DataSourceKind::FashionMnist, "fashion-mnist"}, {DataSourceKind::Idx, "idx"},
                 {DataSourceKind::Csv, "csv"})
SCALEOUT_CHOICES(Normalization, {Normalization::Scale, "scale"}, {Normalization::ZScore, "zscore"},
                 {Normalization::None, "none"})
SCALEOUT_CHOICES(StatePolicy, {StatePolicy::Average, "average"}, {StatePolicy::PerWorker, "perWorker"})
SCALEOUT_CHOICES(RateScaling, {RateScaling::None, "none"}, {RateScaling::Sqrt, "sqrt"}, {RateScaling::Linear, "linear"})
SCALEOUT_CHOICES(LinkCompression, {LinkCompression::None, "none"}, {LinkCompression::BFloat16, "bf16"},
                 {LinkCompression::Int8, "int8"})
#undef SCALEOUT_CHOICES

template <typename E>
std::optional<E> choiceFromName(std::string_view name) {
  for (const auto& c : Choices<E>::names)
    if (c.name == name) return c.value;
  return std::nullopt;
}

// True when `name` is the name of `value` (false for a name that is no choice at all):
// validation asks this of confs that may hold unknown names.
template <typename E>
bool choiceIs(std::string_view name, E value) {
  const std::optional<E> parsed = choiceFromName<E>(name);
  return parsed && *parsed == value;
}

template <typename E>
const char* choiceName(E value) {
  for (const auto& c : Choices<E>::names)
    if (c.value == value) return c.name.data();  // the literals above are NUL-terminated
  return "?";
}

[[noreturn]] void throwUnknownChoice(const char* knob, const std::string& name);

// The choice `name` of knob `knob`; throws ScaleoutError naming the knob and the value
// (a Conf that passed validation never throws).
template <typename E>
E parseChoice(const char* knob, const std::string& name) {
  if (auto value = choiceFromName<E>(name)) return *value;
  throwUnknownChoice(knob, name);
}

}  // namespace scaleout
