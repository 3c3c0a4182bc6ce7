// Conf, the knob registry, JSON round trips, --set overrides and validation messages.
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <QTemporaryDir>
#include <QtTest>

#include "config/conf.h"
#include "config/conf_io.h"
#include "config/conf_warnings.h"
#include "config/knob_registry.h"
#include "fixtures/iris_conf.h"

using namespace scaleout;
using nlohmann::json;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

const char* const kAllowedActivations = "one of sigmoid, tanh, hardtanh, relu, leakyrelu, softplus, linear";

// One knobs.def line, split into its leading arguments (commas inside (), {} and "" kept).
struct DefLine {
  std::string kind, name, label, defaultText;
};

std::vector<std::string> splitTopLevel(const std::string& args) {
  std::vector<std::string> out(1);
  int depth = 0;
  bool quoted = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const char c = args[i];
    if (quoted) {
      out.back() += c;
      if (c == '\\' && i + 1 < args.size()) out.back() += args[++i];
      else if (c == '"') quoted = false;
      continue;
    }
    if (c == '"') quoted = true;
    if (c == '(' || c == '{') ++depth;
    if (c == ')' || c == '}') --depth;
    if (c == ',' && depth == 0) {
      out.emplace_back();
      continue;
    }
    out.back() += c;
  }
  for (auto& s : out) {
    s.erase(0, s.find_first_not_of(" \t"));
    s.erase(s.find_last_not_of(" \t") + 1);
  }
  return out;
}

std::vector<DefLine> readKnobsDef() {
  std::ifstream in(fixtures::sourceDir().toStdString() + "/core/include/config/knobs.def");
  std::vector<DefLine> lines;
  std::string line;
  const std::string prefix = "SCALEOUT_KNOB(";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) != 0) continue;
    const std::string body = line.substr(prefix.size(), line.rfind(')') - prefix.size());
    const auto args = splitTopLevel(body);
    if (args.size() < 8) continue;
    lines.push_back({args[0], args[1], args[2], args[3]});
  }
  return lines;
}

// The JSON value a knobs.def default token stands for: "text", 1e-4, true,
// (std::vector<int>{256, 128}).
json defaultFromDef(const std::string& token) {
  if (token == "true") return true;
  if (token == "false") return false;
  if (!token.empty() && token.front() == '"') return json::parse(token);
  if (!token.empty() && token.front() == '(') {
    const size_t open = token.find('{');
    const size_t close = token.rfind('}');
    return json::parse("[" + token.substr(open + 1, close - open - 1) + "]");
  }
  return json::parse(token);  // a number
}

std::set<std::string> issueKnobs(const std::vector<ConfIssue>& issues) {
  std::set<std::string> names;
  for (const auto& issue : issues) names.insert(issue.knob);
  return names;
}

const ConfIssue* findIssue(const std::vector<ConfIssue>& issues, const std::string& knob) {
  for (const auto& issue : issues)
    if (issue.knob == knob) return &issue;
  return nullptr;
}

// A valid value different from the knob's default, of every kind. Reals are chosen so
// their decimal form is long (round trips must keep all 17 digits).
json nonDefaultValue(const KnobSpec& spec) {
  const json def = spec.defaultValue;
  const double lo = spec.constraint.min.value_or(0.0);
  const double hi = spec.constraint.max.value_or(1000.0);
  switch (spec.kind) {
    case KnobKind::Int: {
      const long long d = def.get<long long>();
      return d + 1 <= hi ? d + 1 : d - 1;
    }
    case KnobKind::Real: {
      double v = lo + (hi - lo) * 0.1234567891234567;
      if (v == def.get<double>()) v = lo + (hi - lo) / 3.0;
      return v;
    }
    case KnobKind::Bool: return !def.get<bool>();
    case KnobKind::Text:
    case KnobKind::Path: return "/data/some dir/\xc3\xa4-" + spec.name + ".csv";
    case KnobKind::Choice:
      for (const auto& c : spec.constraint.choices)
        if (c != def.get<std::string>()) return c;
      return def;
    case KnobKind::IntList: return json::array({1000, 500, 250});
    case KnobKind::RealList: return json::array({0.1, 0.2, 1.0 / 3.0});
    case KnobKind::ChoiceList: {
      const auto& c = spec.constraint.choices;
      return json::array({c[c.size() - 1], c[0], c[c.size() / 2]});
    }
  }
  return def;
}

Conf everyKnobChanged() {
  Conf conf;
  for (const auto& spec : knobRegistry()) spec.set(conf, nonDefaultValue(spec));
  return conf;
}

}  // namespace

class TestConf : public QObject {
  Q_OBJECT

 private slots:
  void defaults();
  void registryMatchesKnobsDef();
  void registryDefaultsAreConfDefaults();
  void everyKnobHasAShortUniqueLabel();
  void labelsNameTheSameConceptTheSameWay();
  void defaultConfIsValid();
  void requiredKnobsExist_data();
  void requiredKnobsExist();
  void knobKinds();
  void jsonValueMessages_data();
  void jsonValueMessages();
  void invalidValueKeepsDefault();
  void threeMistakesAllReported();
  void notAnObject();
  void jsonRoundTripExact();
  void jsonTextRoundTripExact();
  void fileRoundTripExact();
  void overrides_data();
  void overrides();
  void badOverrides_data();
  void badOverrides();
  void overrideValueMayContainEquals();
  void activationByLayerLengthMismatch();
  void perLayerListsOfRightLengthPass();
  void idxNeedsTrainLabels();
  void csvNeedsTrainData();
  void idxTestFilesComeInPairs();
  void softmaxWithXentRejected();
  void validateConfOrThrowListsEveryIssue();
  void relativeTrainDataResolvesBesideConf();
  void relativePathThatDoesNotExistStaysAsWritten();
  void missingConfFileNamesPath();
  void invalidJsonNamesPath();
  void warningsNameWhatWillNotHappen();
  void negativeLogLikelihoodIsNotASecondCrossEntropy();
};

void TestConf::defaults() {
  const Conf conf;
  QCOMPARE(conf.networkClass, std::string("mlp"));
  QCOMPARE(conf.nIn, 784);
  QCOMPARE(conf.nOut, 10);
  QCOMPARE(conf.layerSizes, (std::vector<int>{256, 128}));
  QCOMPARE(conf.activation, std::string("relu"));
  QCOMPARE(conf.outputActivation, std::string("softmax"));
  QCOMPARE(conf.momentum, 0.9);
  QCOMPARE(conf.l2, 1e-4);
  QCOMPARE(conf.useAdaGrad, false);
  QCOMPARE(conf.useBackProp, true);
  QCOMPARE(conf.batchSize, 100);
  QCOMPARE(conf.seed, 123);
  QCOMPARE(conf.threads, 0);
  QCOMPARE(conf.averagingFrequency, 5);
  QCOMPARE(conf.dataset, std::string("fashion-mnist"));
  QCOMPARE(conf.labelColumn, -1);
  QCOMPARE(conf.renderWeightEpochs, -1);
  QVERIFY(conf.activationByLayer.empty());
  QVERIFY(conf.learningRateByLayer.empty());
  QVERIFY(conf.trainData.empty());
  QVERIFY(Conf{} == conf);
}

void TestConf::registryMatchesKnobsDef() {
  const auto def = readKnobsDef();
  QVERIFY2(def.size() >= 50, qPrintable(QString("read %1 knobs from knobs.def").arg(def.size())));
  const auto& registry = knobRegistry();
  QCOMPARE(registry.size(), def.size());
  std::set<std::string> names;
  for (size_t i = 0; i < def.size(); ++i) {
    QCOMPARE(registry[i].name, def[i].name);  // same order: the registry is declaration order
    QVERIFY2(names.insert(def[i].name).second, def[i].name.c_str());
    QCOMPARE(findKnob(def[i].name), &registry[i]);
    // The default written in knobs.def is the registry's default.
    const json expected = defaultFromDef(def[i].defaultText);
    QVERIFY2(registry[i].defaultValue == expected,
             qPrintable(QString::fromStdString(def[i].name + ": registry " + registry[i].defaultValue.dump() +
                                               ", knobs.def " + expected.dump())));
    const std::map<std::string, KnobKind> kinds = {
        {"INT", KnobKind::Int},         {"REAL", KnobKind::Real},         {"BOOL", KnobKind::Bool},
        {"TEXT", KnobKind::Text},       {"PATH", KnobKind::Path},         {"CHOICE", KnobKind::Choice},
        {"INTLIST", KnobKind::IntList}, {"REALLIST", KnobKind::RealList}, {"CHOICELIST", KnobKind::ChoiceList}};
    QVERIFY2(kinds.count(def[i].kind), def[i].kind.c_str());
    QVERIFY2(registry[i].kind == kinds.at(def[i].kind), def[i].name.c_str());
    QVERIFY2(!registry[i].help.empty(), def[i].name.c_str());
    QVERIFY2(!registry[i].group.empty(), def[i].name.c_str());
    QCOMPARE(registry[i].label, json::parse(def[i].label).get<std::string>());  // the third argument
  }
  QCOMPARE(findKnob("noSuchKnob"), static_cast<const KnobSpec*>(nullptr));
}

// The GUI form's captions (#15): every knob has one, short enough for the form's label
// column, in sentence case, not the identifier itself, and no two alike.
void TestConf::everyKnobHasAShortUniqueLabel() {
  // Capitalised words allowed after the first: names and abbreviations.
  const std::set<std::string> properWords = {"AdaGrad", "DropConnect", "ZooKeeper", "L2", "CSV", "CD-k", "N"};
  std::map<std::string, std::string> owner;  // label -> knob
  for (const auto& spec : knobRegistry()) {
    const QString where = QString::fromStdString(spec.name + ": \"" + spec.label + "\"");
    QVERIFY2(!spec.label.empty(), qPrintable(where));
    QVERIFY2(spec.label.size() <= 30, qPrintable(where + " is longer than 30 characters"));
    QVERIFY2(spec.label != spec.name, qPrintable(where + " is the knob's name"));
    QVERIFY2(spec.label.find_first_of("_=") == std::string::npos, qPrintable(where));
    QVERIFY2(std::isupper(static_cast<unsigned char>(spec.label[0])), qPrintable(where + " does not start with a capital"));
    std::istringstream words(spec.label);
    std::string word;
    words >> word;
    while (words >> word) {
      const size_t from = word.find_first_not_of("(");
      const std::string bare = word.substr(from, word.find_last_not_of(")") + 1 - from);
      const bool capital = std::isupper(static_cast<unsigned char>(bare[0]));
      QVERIFY2(!capital || properWords.count(bare), qPrintable(where + ": '" + QString::fromStdString(bare) +
                                                               "' is capitalised (sentence case)"));
      // No camelCase identifier pasted into a label ("batchSize").
      if (!properWords.count(bare))
        for (size_t i = 1; i < bare.size(); ++i)
          QVERIFY2(!(std::islower(static_cast<unsigned char>(bare[i - 1])) && std::isupper(static_cast<unsigned char>(bare[i]))),
                   qPrintable(where + ": '" + QString::fromStdString(bare) + "' is camelCase"));
    }
    // Unique across the whole registry, so also within each group (one tab of the form).
    const auto [it, fresh] = owner.emplace(spec.label, spec.name);
    QVERIFY2(fresh, qPrintable(where + " is also the label of " + QString::fromStdString(it->second)));
  }
  QCOMPARE(findKnob("finetuneLearningRate")->label, std::string("Learning rate (finetune)"));
  QCOMPARE(findKnob("batchSize")->label, std::string("Batch size"));
}

// Consistent words: a per-layer override says "per layer" and names what its global knob
// is called; the two phases' knobs differ only in "(pretrain)"/"(finetune)"; durations in
// seconds end in "(s)"; knobs read only from CSV end in "(CSV)".
void TestConf::labelsNameTheSameConceptTheSameWay() {
  auto endsWith = [](const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
  };
  int perLayer = 0;
  for (const auto& spec : knobRegistry()) {
    if (endsWith(spec.name, "ByLayer")) {
      ++perLayer;
      QVERIFY2(endsWith(spec.label, " per layer"), spec.name.c_str());
      const KnobSpec* global = findKnob(spec.name.substr(0, spec.name.size() - 7));
      const std::string stem = spec.label.substr(0, spec.label.size() - 10);
      if (global) QVERIFY2(global->label.rfind(stem, 0) == 0, qPrintable(QString::fromStdString(global->label + " / " + spec.label)));
    }
    if (endsWith(spec.name, "Seconds")) QVERIFY2(endsWith(spec.label, " (s)"), spec.name.c_str());
    if (spec.name.rfind("csv", 0) == 0) QVERIFY2(endsWith(spec.label, " (CSV)"), spec.name.c_str());
    if (spec.name.rfind("pretrain", 0) == 0 && findKnob("finetune" + spec.name.substr(8))) {
      const std::string finetune = findKnob("finetune" + spec.name.substr(8))->label;
      QVERIFY2(endsWith(spec.label, " (pretrain)") && endsWith(finetune, " (finetune)") &&
                   spec.label.substr(0, spec.label.size() - 11) == finetune.substr(0, finetune.size() - 11),
               qPrintable(QString::fromStdString(spec.label + " / " + finetune)));
    }
  }
  QCOMPARE(perLayer, 4);
  QCOMPARE(findKnob("learningRateByLayer")->label, std::string("Learning rate per layer"));
}

void TestConf::registryDefaultsAreConfDefaults() {
  const Conf conf;
  for (const auto& spec : knobRegistry()) {
    QVERIFY2(spec.defaultValue == spec.get(conf), spec.name.c_str());
    QVERIFY2(checkKnobValue(spec, spec.defaultValue).empty(), spec.name.c_str());
    // set(get(x)) is the identity on a default Conf.
    Conf copy;
    spec.set(copy, spec.get(conf));
    QVERIFY2(copy == conf, spec.name.c_str());
  }
}

void TestConf::defaultConfIsValid() {
  const auto issues = validateConf(Conf{});
  QVERIFY2(issues.empty(), formatIssues(issues).c_str());
}

void TestConf::requiredKnobsExist_data() {
  QTest::addColumn<QString>("name");
  for (const char* name :
       {"networkClass", "nIn", "nOut", "layerSizes", "activation", "outputActivation", "lossFunction", "weightInit",
        "weightInitStd", "visibleUnit", "hiddenUnit", "pretrainEpochs", "pretrainLearningRate", "k",
        "corruptionLevel", "sparsity", "finetuneEpochs", "finetuneLearningRate", "momentum", "useRegularization", "l2",
        "dropout", "useAdaGrad", "batchSize", "seed", "threads", "averagingFrequency", "evalEvery", "dataset",
        "trainData", "trainLabels", "testData", "testLabels", "labelColumn", "testFraction", "normalize",
        "optimizationAlgorithm", "useBackProp", "useDropConnect", "sampleHiddenActivations", "outputLossFunction",
        "activationByLayer", "learningRateByLayer", "visibleUnitByLayer", "hiddenUnitByLayer", "renderWeightEpochs",
        "statsEvery"}) {
    QTest::newRow(name) << QString::fromLatin1(name);
  }
}

void TestConf::requiredKnobsExist() {
  QFETCH(QString, name);
  const KnobSpec* spec = findKnob(name.toStdString());
  QVERIFY2(spec, qPrintable(name));
  QCOMPARE(spec->name, name.toStdString());
  QVERIFY(!describeAllowed(*spec).empty());
}

void TestConf::knobKinds() {
  QVERIFY(findKnob("nIn")->kind == KnobKind::Int);
  QVERIFY(findKnob("momentum")->kind == KnobKind::Real);
  QVERIFY(findKnob("useAdaGrad")->kind == KnobKind::Bool);
  QVERIFY(findKnob("trainData")->kind == KnobKind::Path);
  QVERIFY(findKnob("activation")->kind == KnobKind::Choice);
  QVERIFY(findKnob("layerSizes")->kind == KnobKind::IntList);
  QVERIFY(findKnob("learningRateByLayer")->kind == KnobKind::RealList);
  QVERIFY(findKnob("activationByLayer")->kind == KnobKind::ChoiceList);
  QVERIFY(findKnob("layerSizes")->isList());
  QVERIFY(!findKnob("nIn")->isList());
  QCOMPARE(describeAllowed(*findKnob("k")), std::string("an integer in [1, 1000]"));
  QCOMPARE(describeAllowed(*findKnob("momentum")), std::string("a number in [0, 0.999]"));
  QCOMPARE(describeAllowed(*findKnob("useAdaGrad")), std::string("true or false"));
  QCOMPARE(describeAllowed(*findKnob("layerSizes")), std::string("a list of integers each in [1, 1000000]"));
  QCOMPARE(describeAllowed(*findKnob("activation")), std::string(kAllowedActivations));
  QCOMPARE(describeAllowed(*findKnob("activationByLayer")),
           std::string("a list, each one of sigmoid, tanh, hardtanh, relu, leakyrelu, softplus, linear"));
}

void TestConf::jsonValueMessages_data() {
  QTest::addColumn<QString>("doc");
  QTest::addColumn<QString>("knob");
  QTest::addColumn<QString>("value");
  QTest::addColumn<QString>("problem");
  QTest::addColumn<QString>("allowed");
  QTest::newRow("int given a string") << R"({"nIn": "four"})" << "nIn" << "four" << "is not an integer"
                                      << "an integer in [1, 10000000]";
  QTest::newRow("int given a fraction") << R"({"k": 1.5})" << "k" << "1.5" << "is not an integer"
                                        << "an integer in [1, 1000]";
  QTest::newRow("int given a bool") << R"({"batchSize": true})" << "batchSize" << "true" << "is not an integer"
                                    << "an integer in [1, 1000000]";
  QTest::newRow("real given a string") << R"({"momentum": "high"})" << "momentum" << "high" << "is not a number"
                                       << "a number in [0, 0.999]";
  QTest::newRow("bool given a string") << R"({"useAdaGrad": "yes"})" << "useAdaGrad" << "yes"
                                       << "is not true or false" << "true or false";
  QTest::newRow("path given a number") << R"({"trainData": 5})" << "trainData" << "5" << "is not a string"
                                       << "a file path";
  QTest::newRow("int below range") << R"({"batchSize": 0})" << "batchSize" << "0" << "is outside [1, 1000000]"
                                   << "an integer in [1, 1000000]";
  QTest::newRow("int above range") << R"({"k": 1001})" << "k" << "1001" << "is outside [1, 1000]"
                                   << "an integer in [1, 1000]";
  QTest::newRow("real above range") << R"({"momentum": 1.5})" << "momentum" << "1.5" << "is outside [0, 0.999]"
                                    << "a number in [0, 0.999]";
  QTest::newRow("real below range") << R"({"finetuneLearningRate": -0.1})" << "finetuneLearningRate" << "-0.1"
                                    << "is outside [0, 10]" << "a number in [0, 10]";
  QTest::newRow("bad choice") << R"({"activation": "relux"})" << "activation" << "relux"
                              << QString("is not one of sigmoid, tanh, hardtanh, relu, leakyrelu, softplus, linear")
                              << QString(kAllowedActivations);
  QTest::newRow("choice given a number") << R"({"dataset": 3})" << "dataset" << "3" << "is not a string"
                                         << "one of fashion-mnist, idx, csv";
  QTest::newRow("unknown key, typo") << R"({"finetuneEpoch": 3})" << "finetuneEpoch" << "" << "is not a known knob"
                                     << "did you mean 'finetuneEpochs'?";
  QTest::newRow("unknown key, case") << R"({"batchsize": 10})" << "batchsize" << "" << "is not a known knob"
                                     << "did you mean 'batchSize'?";
  QTest::newRow("unknown key, no hint") << R"({"zzzzzzzzzzzzzzzzzzzzzzzzzzzz": 1})"
                                        << "zzzzzzzzzzzzzzzzzzzzzzzzzzzz" << "" << "is not a known knob"
                                        << "see `scaleout knobs`";
  QTest::newRow("list given a scalar") << R"({"layerSizes": 100})" << "layerSizes" << "100" << "is not a list"
                                       << "a list of integers each in [1, 1000000]";
  QTest::newRow("list element out of range") << R"({"layerSizes": [100, 0, 50]})" << "layerSizes" << "[100,0,50]"
                                             << "element 1 (0) is outside [1, 1000000]"
                                             << "a list of integers each in [1, 1000000]";
  QTest::newRow("list element wrong type") << R"({"layerSizes": [100, "x"]})" << "layerSizes" << R"([100,"x"])"
                                           << R"(element 1 ("x") is not an integer)"
                                           << "a list of integers each in [1, 1000000]";
  QTest::newRow("real list element") << R"({"learningRateByLayer": [0.1, 11]})" << "learningRateByLayer"
                                     << "[0.1,11]" << "element 1 (11) is outside [0, 10]"
                                     << "a list of numbers each in [0, 10]";
  QTest::newRow("choice list element") << R"({"activationByLayer": ["relu", "bogus"]})" << "activationByLayer"
                                       << R"(["relu","bogus"])"
                                       << QString(R"(element 1 ("bogus") is not one of sigmoid, tanh, hardtanh, relu, leakyrelu, softplus, linear)")
                                       << QString("a list, each one of sigmoid, tanh, hardtanh, relu, leakyrelu, softplus, linear");
}

void TestConf::jsonValueMessages() {
  QFETCH(QString, doc);
  QFETCH(QString, knob);
  QFETCH(QString, value);
  QFETCH(QString, problem);
  QFETCH(QString, allowed);
  std::vector<ConfIssue> issues;
  confFromJson(json::parse(doc.toStdString()), issues);
  QCOMPARE(issues.size(), size_t{1});
  const ConfIssue& issue = issues[0];
  QCOMPARE(QString::fromStdString(issue.knob), knob);
  QCOMPARE(QString::fromStdString(issue.value), value);
  QCOMPARE(QString::fromStdString(issue.problem), problem);
  QCOMPARE(QString::fromStdString(issue.allowed), allowed);
  // The one-line message names the knob, the value, the problem and what is allowed.
  const std::string message = issue.message();
  QVERIFY2(contains(message, "knob '" + knob.toStdString() + "'"), message.c_str());
  if (!value.isEmpty()) QVERIFY2(contains(message, "value " + value.toStdString()), message.c_str());
  QVERIFY2(contains(message, problem.toStdString()), message.c_str());
  QVERIFY2(contains(message, "allowed: " + allowed.toStdString()), message.c_str());
}

void TestConf::invalidValueKeepsDefault() {
  std::vector<ConfIssue> issues;
  const Conf conf = confFromJson(json::parse(R"({"batchSize": 0, "layerSizes": [1, -2], "nIn": 4})"), issues);
  QCOMPARE(issues.size(), size_t{2});
  QCOMPARE(conf.batchSize, 100);
  QCOMPARE(conf.layerSizes, (std::vector<int>{256, 128}));
  QCOMPARE(conf.nIn, 4);  // valid keys are still applied
}

void TestConf::threeMistakesAllReported() {
  const std::string text = R"({
    "nIn": "four",
    "momentum": 2.5,
    "activaton": "tanh",
    "nOut": 3,
    "activation": "tanh"
  })";
  std::vector<ConfIssue> issues;
  const Conf conf = confFromJson(json::parse(text), issues);
  QCOMPARE(issues.size(), size_t{3});
  QCOMPARE(issueKnobs(issues), (std::set<std::string>{"nIn", "momentum", "activaton"}));
  QCOMPARE(findIssue(issues, "nIn")->problem, std::string("is not an integer"));
  QCOMPARE(findIssue(issues, "momentum")->problem, std::string("is outside [0, 0.999]"));
  QCOMPARE(findIssue(issues, "momentum")->value, std::string("2.5"));
  QCOMPARE(findIssue(issues, "activaton")->allowed, std::string("did you mean 'activation'?"));
  QCOMPARE(conf.nOut, 3);
  QCOMPARE(conf.activation, std::string("tanh"));

  // formatIssues and ConfError put one issue per line.
  const std::string all = formatIssues(issues);
  QCOMPARE(std::count(all.begin(), all.end(), '\n'), 3L);
  for (const char* knob : {"'nIn'", "'momentum'", "'activaton'"}) QVERIFY2(contains(all, knob), all.c_str());
  const ConfError error(issues);
  QCOMPARE(std::string(error.what()), all);
  QCOMPARE(error.issues().size(), size_t{3});
}

void TestConf::notAnObject() {
  std::vector<ConfIssue> issues;
  const Conf conf = confFromJson(json::parse("[1, 2]"), issues);
  QCOMPARE(issues.size(), size_t{1});
  QCOMPARE(issues[0].knob, std::string());
  QCOMPARE(issues[0].problem, std::string("is not a JSON object"));
  QVERIFY(conf == Conf{});
  QVERIFY2(contains(issues[0].message(), "conf is not a JSON object"), issues[0].message().c_str());
}

void TestConf::jsonRoundTripExact() {
  const Conf original = everyKnobChanged();
  const Conf defaults;
  for (const auto& spec : knobRegistry())
    QVERIFY2(spec.get(original) != spec.get(defaults), (spec.name + " kept its default").c_str());
  QCOMPARE(original.layerSizes, (std::vector<int>{1000, 500, 250}));
  QCOMPARE(original.learningRateByLayer, (std::vector<double>{0.1, 0.2, 1.0 / 3.0}));

  const json doc = confToJson(original);
  QCOMPARE(doc.size(), knobRegistry().size());
  std::vector<ConfIssue> issues;
  const Conf back = confFromJson(doc, issues);
  QVERIFY2(issues.empty(), formatIssues(issues).c_str());
  QVERIFY(back == original);
  QCOMPARE(back.learningRateByLayer[2], 1.0 / 3.0);  // bit-exact double
}

void TestConf::jsonTextRoundTripExact() {
  Conf original = everyKnobChanged();
  original.momentum = 0.1;
  original.finetuneLearningRate = 0.1 + 0.2;  // 0.30000000000000004
  original.l2 = 1e-7;
  original.learningRateByLayer = {0.1, 0.7, 2.0 / 3.0};
  const std::string text = confToJsonText(original);
  // Keys in registry order, one per line.
  size_t last = 0;
  for (const auto& spec : knobRegistry()) {
    const size_t at = text.find("\"" + spec.name + "\":");
    QVERIFY2(at != std::string::npos && at >= last, spec.name.c_str());
    last = at;
  }
  QCOMPARE(size_t(std::count(text.begin(), text.end(), '\n')), knobRegistry().size() + 2);
  std::vector<ConfIssue> issues;
  const Conf back = confFromJson(json::parse(text), issues);
  QVERIFY2(issues.empty(), formatIssues(issues).c_str());
  QVERIFY(back == original);
  QCOMPARE(back.finetuneLearningRate, 0.1 + 0.2);
  QCOMPARE(back.momentum, 0.1);
  // Writing again gives the same bytes.
  QCOMPARE(confToJsonText(back), text);
}

void TestConf::fileRoundTripExact() {
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  Conf original = everyKnobChanged();
  original.momentum = 0.1;
  original.layerSizes = {1000, 500, 250};
  // Absolute paths stay as written; relative ones are resolved only when they exist.
  original.trainData = dir.filePath("train data.csv").toStdString();
  original.trainLabels = "no/such/labels.idx";
  const std::string path = dir.filePath("conf.json").toStdString();
  saveConfFile(original, path);
  QVERIFY(!std::filesystem::exists(path + ".tmp"));
  std::vector<ConfIssue> issues;
  const Conf back = loadConfFile(path, issues);
  QVERIFY2(issues.empty(), formatIssues(issues).c_str());
  QVERIFY(back == original);
  QCOMPARE(back.momentum, 0.1);
  QCOMPARE(back.trainLabels, std::string("no/such/labels.idx"));

  // Saving over an existing file replaces it.
  original.seed = 99;
  saveConfFile(original, path);
  issues.clear();
  QCOMPARE(loadConfFile(path, issues).seed, 99);
}

void TestConf::overrides_data() {
  QTest::addColumn<QString>("assignment");
  QTest::addColumn<QString>("knob");
  QTest::addColumn<QString>("expectedJson");
  QTest::newRow("int") << "k=3" << "k" << "3";
  QTest::newRow("int with spaces") << "batchSize= 32 " << "batchSize" << "32";
  QTest::newRow("int as whole float") << "pretrainEpochs=1e3" << "pretrainEpochs" << "1000";
  QTest::newRow("negative int") << "labelColumn=-1" << "labelColumn" << "-1";
  QTest::newRow("real") << "momentum=0.5" << "momentum" << "0.5";
  QTest::newRow("real 0.1") << "finetuneLearningRate=0.1" << "finetuneLearningRate" << "0.1";
  QTest::newRow("real exponent") << "l2=1e-3" << "l2" << "0.001";
  QTest::newRow("real integer text") << "weightInitStd=2" << "weightInitStd" << "2.0";
  QTest::newRow("bool yes") << "useAdaGrad=yes" << "useAdaGrad" << "true";
  QTest::newRow("bool true") << "useAdaGrad=true" << "useAdaGrad" << "true";
  QTest::newRow("bool 1") << "useAdaGrad=1" << "useAdaGrad" << "true";
  QTest::newRow("bool TRUE") << "useRegularization=TRUE" << "useRegularization" << "true";
  QTest::newRow("bool no") << "useBackProp=no" << "useBackProp" << "false";
  QTest::newRow("bool false") << "useBackProp=false" << "useBackProp" << "false";
  QTest::newRow("bool 0") << "useBackProp=0" << "useBackProp" << "false";
  QTest::newRow("choice") << "activation=tanh" << "activation" << R"("tanh")";
  QTest::newRow("choice with dash") << "dataset=fashion-mnist" << "dataset" << R"("fashion-mnist")";
  QTest::newRow("path") << "trainData=/tmp/some file.csv" << "trainData" << R"("/tmp/some file.csv")";
  QTest::newRow("int list commas") << "layerSizes=1000,500,250" << "layerSizes" << "[1000,500,250]";
  QTest::newRow("int list spaces") << "layerSizes=1000, 500 ,250" << "layerSizes" << "[1000,500,250]";
  QTest::newRow("int list json") << "layerSizes=[1,2]" << "layerSizes" << "[1,2]";
  QTest::newRow("int list single") << "layerSizes=64" << "layerSizes" << "[64]";
  QTest::newRow("int list empty") << "layerSizes=" << "layerSizes" << "[]";
  QTest::newRow("real list") << "learningRateByLayer=0.1,0.05" << "learningRateByLayer" << "[0.1,0.05]";
  QTest::newRow("choice list") << "activationByLayer=tanh,relu" << "activationByLayer" << R"(["tanh","relu"])";
  QTest::newRow("choice list json") << R"(hiddenUnitByLayer=["gaussian","binary"])" << "hiddenUnitByLayer"
                                    << R"(["gaussian","binary"])";
}

void TestConf::overrides() {
  QFETCH(QString, assignment);
  QFETCH(QString, knob);
  QFETCH(QString, expectedJson);
  Conf conf;
  std::vector<ConfIssue> issues;
  applyOverride(conf, assignment.toStdString(), issues);
  QVERIFY2(issues.empty(), formatIssues(issues).c_str());
  const json got = findKnob(knob.toStdString())->get(conf);
  const json expected = json::parse(expectedJson.toStdString());
  QVERIFY2(got == expected, (got.dump() + " != " + expected.dump()).c_str());
  // Nothing else changed.
  for (const auto& spec : knobRegistry())
    if (spec.name != knob.toStdString()) QVERIFY2(spec.get(conf) == spec.defaultValue, spec.name.c_str());
}

void TestConf::badOverrides_data() {
  QTest::addColumn<QString>("assignment");
  QTest::addColumn<QString>("knob");
  QTest::addColumn<QString>("value");
  QTest::addColumn<QString>("problem");
  QTest::addColumn<QString>("allowed");
  QTest::newRow("int not a number") << "k=abc" << "k" << "abc" << "cannot be read as int"
                                    << "an integer in [1, 1000]";
  QTest::newRow("int out of range") << "k=0" << "k" << "0" << "is outside [1, 1000]" << "an integer in [1, 1000]";
  QTest::newRow("int fraction") << "k=2.5" << "k" << "2.5" << "is not an integer" << "an integer in [1, 1000]";
  QTest::newRow("int trailing junk") << "batchSize=10x" << "batchSize" << "10x" << "cannot be read as int"
                                     << "an integer in [1, 1000000]";
  QTest::newRow("int empty") << "batchSize=" << "batchSize" << "" << "cannot be read as int"
                             << "an integer in [1, 1000000]";
  QTest::newRow("real not a number") << "momentum=fast" << "momentum" << "fast" << "cannot be read as real"
                                     << "a number in [0, 0.999]";
  QTest::newRow("real out of range") << "momentum=1" << "momentum" << "1" << "is outside [0, 0.999]"
                                     << "a number in [0, 0.999]";
  QTest::newRow("bool maybe") << "useAdaGrad=maybe" << "useAdaGrad" << "maybe" << "cannot be read as bool"
                              << "true or false";
  QTest::newRow("bad choice") << "activation=swish" << "activation" << "swish"
                              << QString("is not one of sigmoid, tanh, hardtanh, relu, leakyrelu, softplus, linear")
                              << QString(kAllowedActivations);
  QTest::newRow("list element junk") << "layerSizes=100,x" << "layerSizes" << "100,x"
                                     << "cannot be read as int list" << "a list of integers each in [1, 1000000]";
  QTest::newRow("list element range") << "layerSizes=100,0" << "layerSizes" << "100,0"
                                      << "element 1 (0) is outside [1, 1000000]"
                                      << "a list of integers each in [1, 1000000]";
  QTest::newRow("list bad json") << "layerSizes=[1,2" << "layerSizes" << "[1,2" << "cannot be read as int list"
                                 << "a list of integers each in [1, 1000000]";
  QTest::newRow("choice list element") << "activationByLayer=tanh,nope" << "activationByLayer" << "tanh,nope"
                                       << QString(R"(element 1 ("nope") is not one of sigmoid, tanh, hardtanh, relu, leakyrelu, softplus, linear)")
                                       << QString("a list, each one of sigmoid, tanh, hardtanh, relu, leakyrelu, softplus, linear");
  QTest::newRow("unknown knob") << "nosuch=1" << "nosuch" << "" << "is not a known knob" << "see `scaleout knobs`";
  QTest::newRow("unknown knob, typo") << "batchsze=1" << "batchsze" << "" << "is not a known knob"
                                      << "did you mean 'batchSize'?";
  QTest::newRow("no equals") << "noequals" << "" << "noequals" << "is not of the form name=value"
                             << "--set name=value";
  QTest::newRow("no name") << "=5" << "" << "=5" << "is not of the form name=value" << "--set name=value";
}

void TestConf::badOverrides() {
  QFETCH(QString, assignment);
  QFETCH(QString, knob);
  QFETCH(QString, value);
  QFETCH(QString, problem);
  QFETCH(QString, allowed);
  Conf conf;
  std::vector<ConfIssue> issues;
  applyOverride(conf, assignment.toStdString(), issues);
  QCOMPARE(issues.size(), size_t{1});
  QCOMPARE(QString::fromStdString(issues[0].knob), knob);
  QCOMPARE(QString::fromStdString(issues[0].value), value);
  QCOMPARE(QString::fromStdString(issues[0].problem), problem);
  QCOMPARE(QString::fromStdString(issues[0].allowed), allowed);
  QVERIFY(conf == Conf{});  // a rejected override changes nothing
  const std::string message = issues[0].message();
  if (!knob.isEmpty()) QVERIFY2(contains(message, "knob '" + knob.toStdString() + "'"), message.c_str());
  QVERIFY2(contains(message, problem.toStdString()), message.c_str());
}

void TestConf::overrideValueMayContainEquals() {
  Conf conf;
  std::vector<ConfIssue> issues;
  applyOverride(conf, "trainData=/data/a=b.csv", issues);
  QVERIFY2(issues.empty(), formatIssues(issues).c_str());
  QCOMPARE(conf.trainData, std::string("/data/a=b.csv"));
  // Several overrides collect every problem.
  applyOverride(conf, "k=abc", issues);
  applyOverride(conf, "nosuch=1", issues);
  applyOverride(conf, "seed=7", issues);
  QCOMPARE(issues.size(), size_t{2});
  QCOMPARE(conf.seed, 7);
}

void TestConf::activationByLayerLengthMismatch() {
  Conf conf;
  conf.layerSizes = {256, 128};
  conf.activationByLayer = {"tanh"};
  conf.learningRateByLayer = {0.1, 0.2, 0.3};
  const auto issues = validateConf(conf);
  QCOMPARE(issues.size(), size_t{2});
  const ConfIssue* act = findIssue(issues, "activationByLayer");
  QVERIFY(act);
  QCOMPARE(act->value, std::string("1 entries"));
  QCOMPARE(act->problem, std::string("does not match the number of hidden layers"));
  QCOMPARE(act->allowed, std::string("empty, or exactly 2 entries (one per hidden layer)"));
  const ConfIssue* rates = findIssue(issues, "learningRateByLayer");
  QVERIFY(rates);
  QCOMPARE(rates->value, std::string("3 entries"));
  QVERIFY2(contains(act->message(), "knob 'activationByLayer': value 1 entries does not match"), act->message().c_str());
}

void TestConf::perLayerListsOfRightLengthPass() {
  Conf conf;
  conf.networkClass = "dbn";
  conf.layerSizes = {64, 32, 16};
  conf.activationByLayer = {"tanh", "relu", "sigmoid"};
  conf.learningRateByLayer = {0.1, 0.05, 0.01};
  conf.visibleUnitByLayer = {"gaussian", "binary", "binary"};
  conf.hiddenUnitByLayer = {"binary", "binary", "rectified"};
  auto issues = validateConf(conf);
  QVERIFY2(issues.empty(), formatIssues(issues).c_str());
  // A single-layer net has one layer whatever layerSizes says.
  conf.networkClass = "rbm";
  issues = validateConf(conf);
  QCOMPARE(issueKnobs(issues),
           (std::set<std::string>{"activationByLayer", "learningRateByLayer", "visibleUnitByLayer", "hiddenUnitByLayer"}));
  QCOMPARE(findIssue(issues, "hiddenUnitByLayer")->allowed,
           std::string("empty, or exactly 1 entries (one per hidden layer)"));
}

void TestConf::idxNeedsTrainLabels() {
  Conf conf;
  conf.dataset = "idx";
  conf.trainData = "/data/train-images.idx";
  const auto issues = validateConf(conf);
  QCOMPARE(issues.size(), size_t{1});
  QCOMPARE(issues[0].knob, std::string("trainLabels"));
  QCOMPARE(issues[0].problem, std::string("is empty, but dataset=idx needs a label file"));
  QCOMPARE(issues[0].allowed, std::string("a path to IDX labels"));
  conf.dataset = "csv";  // CSV carries its labels in a column
  QVERIFY(validateConf(conf).empty());
}

void TestConf::csvNeedsTrainData() {
  Conf conf;
  conf.dataset = "csv";
  const auto issues = validateConf(conf);
  QCOMPARE(issues.size(), size_t{1});
  QCOMPARE(issues[0].knob, std::string("trainData"));
  QCOMPARE(issues[0].problem, std::string("is empty, but dataset=csv needs a file"));
  QCOMPARE(issues[0].allowed, std::string("a path to the training CSV file"));
}

void TestConf::idxTestFilesComeInPairs() {
  Conf conf;
  conf.dataset = "idx";
  conf.trainData = "train-images.idx";
  conf.trainLabels = "train-labels.idx";
  conf.testData = "test-images.idx";
  auto issues = validateConf(conf);
  QCOMPARE(issues.size(), size_t{1});
  QCOMPARE(issues[0].knob, std::string("testLabels"));
  QCOMPARE(issues[0].allowed, std::string("both testData and testLabels, or neither"));
  conf.testLabels = "d";
  QVERIFY(validateConf(conf).empty());
}

void TestConf::softmaxWithXentRejected() {
  Conf conf;
  conf.outputLossFunction = "xent";
  auto issues = validateConf(conf);
  QCOMPARE(issues.size(), size_t{1});
  QCOMPARE(issues[0].knob, std::string("outputLossFunction"));
  QCOMPARE(issues[0].problem, std::string("does not fit a softmax output"));
  conf.outputActivation = "sigmoid";
  QVERIFY(validateConf(conf).empty());
}

void TestConf::validateConfOrThrowListsEveryIssue() {
  Conf conf;
  conf.batchSize = 0;  // set directly, bypassing the JSON checks
  conf.activation = "swish";
  conf.dataset = "idx";
  conf.trainData = "x";
  try {
    validateConfOrThrow(conf);
    QFAIL("validateConfOrThrow accepted an invalid conf");
  } catch (const ConfError& e) {
    QCOMPARE(issueKnobs(e.issues()), (std::set<std::string>{"batchSize", "activation", "trainLabels"}));
    const std::string what = e.what();
    QVERIFY2(contains(what, "knob 'batchSize': value 0 is outside [1, 1000000]"), what.c_str());
    QVERIFY2(contains(what, "knob 'activation': value swish is not one of"), what.c_str());
  }
  validateConfOrThrow(Conf{});  // does not throw
}

void TestConf::relativeTrainDataResolvesBesideConf() {
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  const std::filesystem::path root = dir.path().toStdString();
  std::filesystem::create_directories(root / "confs" / "data");
  { std::ofstream(root / "confs" / "data" / "train.csv") << "a,b\n1,0\n"; }
  { std::ofstream(root / "confs" / "labels.idx") << "x"; }
  { std::ofstream(root / "confs" / "c.json") << R"({"dataset": "idx", "trainData": "data/train.csv", "trainLabels": "../confs/labels.idx"})"; }
  std::vector<ConfIssue> issues;
  const Conf conf = loadConfFile((root / "confs" / "c.json").string(), issues);
  QVERIFY2(issues.empty(), formatIssues(issues).c_str());
  const std::string expected = std::filesystem::absolute(root / "confs" / "data" / "train.csv").lexically_normal().string();
  QCOMPARE(conf.trainData, expected);
  QCOMPARE(conf.trainLabels, std::filesystem::absolute(root / "confs" / "labels.idx").lexically_normal().string());
  QVERIFY(std::filesystem::path(conf.trainData).is_absolute());
  QVERIFY(std::filesystem::exists(conf.trainData));
  // The working directory plays no part.
  QVERIFY(!std::filesystem::exists(std::filesystem::current_path() / "data" / "train.csv"));
}

void TestConf::relativePathThatDoesNotExistStaysAsWritten() {
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  const std::string path = dir.filePath("c.json").toStdString();
  { std::ofstream(path) << R"({"dataset": "csv", "trainData": "missing/train.csv", "testData": "/abs/test.csv"})"; }
  std::vector<ConfIssue> issues;
  const Conf conf = loadConfFile(path, issues);
  QVERIFY(issues.empty());
  QCOMPARE(conf.trainData, std::string("missing/train.csv"));
  QCOMPARE(conf.testData, std::string("/abs/test.csv"));
}

void TestConf::missingConfFileNamesPath() {
  std::vector<ConfIssue> issues;
  const std::string path = "/nonexistent-dir/scaleout-conf.json";
  const Conf conf = loadConfFile(path, issues);
  QCOMPARE(issues.size(), size_t{1});
  QCOMPARE(issues[0].value, path);
  QCOMPARE(issues[0].problem, std::string("cannot be opened (no such file)"));
  QVERIFY2(contains(issues[0].message(), path), issues[0].message().c_str());
  QVERIFY(conf == Conf{});
}

void TestConf::invalidJsonNamesPath() {
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  const std::string path = dir.filePath("broken.json").toStdString();
  { std::ofstream(path) << "{\"nIn\": 4,\n \"nOut\": }"; }
  std::vector<ConfIssue> issues;
  loadConfFile(path, issues);
  QCOMPARE(issues.size(), size_t{1});
  QCOMPARE(issues[0].value, path);
  QVERIFY2(contains(issues[0].problem, "is not valid JSON"), issues[0].problem.c_str());
  QVERIFY2(contains(issues[0].message(), path), issues[0].message().c_str());
}

// Valid confs that ask for something the run will not do are warned about, knob by knob;
// the defaults raise nothing.
void TestConf::warningsNameWhatWillNotHappen() {
  QVERIFY(confWarnings(Conf{}).empty());
  Conf cg;
  cg.optimizationAlgorithm = "conjugateGradient";
  cg.momentum = 0.9;
  cg.useAdaGrad = true;
  cg.dropout = 0.5;
  cg.learningRateByLayer = {0.1, 0.01};
  const auto w = confWarnings(cg);
  QCOMPARE(w.size(), size_t{4});
  for (const char* knob : {"momentum 0.9 is ignored by optimizationAlgorithm=conjugateGradient", "useAdaGrad is ignored",
                           "learningRateByLayer is ignored", "dropout 0.5 is ignored"}) {
    bool found = false;
    for (const auto& line : w) found = found || line.find(knob) != std::string::npos;
    QVERIFY2(found, knob);
  }
  cg.momentum = 0;
  cg.useAdaGrad = false;
  cg.dropout = 0;
  cg.learningRateByLayer.clear();
  QVERIFY(confWarnings(cg).empty());  // its step memory is averaged like the velocity (#14)

  // An outer momentum over short rounds compounds with the workers' momentum (it diverged
  // at averagingFrequency 5): named with the value and what to raise; long rounds are quiet.
  Conf outer;
  outer.outerMomentum = 0.9;
  outer.averagingFrequency = 5;
  const auto ow = confWarnings(outer);
  QCOMPARE(ow.size(), size_t{1});
  QVERIFY2(contains(ow[0], "outerMomentum 0.9 with averagingFrequency 5") && contains(ow[0], "raise averagingFrequency"),
           ow[0].c_str());
  outer.averagingFrequency = 40;
  QVERIFY(confWarnings(outer).empty());

  Conf idle;
  idle.finetuneEpochs = 0;
  QCOMPARE(confWarnings(idle), std::vector<std::string>{"finetuneEpochs is 0 and nothing is pretrained: the run will train nothing"});

  // Every phase that would run and train nothing is named (#16).
  Conf single;
  single.networkClass = "rbm";
  single.pretrainEpochs = 0;
  QCOMPARE(confWarnings(single),
           std::vector<std::string>{"pretrainEpochs is 0 and networkClass=rbm is trained only by pretraining: the run will train nothing"});
  Conf still;
  still.finetuneLearningRate = 0;
  QCOMPARE(confWarnings(still), std::vector<std::string>{"finetuneLearningRate is 0: finetuning runs its epochs and changes no weight of the output layer"});
  Conf stillPretrain;
  stillPretrain.networkClass = "sda";
  stillPretrain.pretrainLearningRate = 0;
  QCOMPARE(confWarnings(stillPretrain), std::vector<std::string>{"pretrainLearningRate is 0: pretraining runs its epochs and changes no weight"});
  stillPretrain.learningRateByLayer = {0.1, 0.1};  // the layers' own rates train them
  QVERIFY(confWarnings(stillPretrain).empty());

  Conf dbn;
  dbn.networkClass = "dbn";
  dbn.activation = "hardtanh";
  QCOMPARE(confWarnings(dbn).size(), size_t{1});
  QVERIFY(confWarnings(dbn)[0].find("through activation=hardtanh") != std::string::npos);
  // The warning names the knobs that decide it (#14).
  for (const char* knob : {"networkClass=dbn", "pretrainEpochs=1", "activation=sigmoid keeps them", "pretrainEpochs=0 skips"})
    QVERIFY2(confWarnings(dbn)[0].find(knob) != std::string::npos, knob);
  dbn.activation = "sigmoid";
  QVERIFY(confWarnings(dbn).empty());
  // A per-layer override that leaves sigmoid is warned about too; it was not before.
  dbn.layerSizes = {20, 10};
  dbn.activationByLayer = {"sigmoid", "relu"};
  QCOMPARE(confWarnings(dbn).size(), size_t{1});
  QVERIFY2(confWarnings(dbn)[0].find("through activationByLayer (layer 2 relu)") != std::string::npos, confWarnings(dbn)[0].c_str());
  dbn.pretrainEpochs = 0;  // nothing pretrained: nothing to mismatch
  QVERIFY(confWarnings(dbn).empty());
  Conf cdbn;
  cdbn.networkClass = "cdbn";
  cdbn.activation = "hardtanh";
  QVERIFY(confWarnings(cdbn).size() == 1 && confWarnings(cdbn)[0].find("networkClass=cdbn") == 0);
}

void TestConf::negativeLogLikelihoodIsNotASecondCrossEntropy() {
  std::vector<ConfIssue> issues;
  Conf c;
  applyOverride(c, "lossFunction=negativeLogLikelihood", issues);
  QVERIFY(!issues.empty());
  QVERIFY2(issues[0].message().find("reconstructionCrossEntropy") != std::string::npos, issues[0].message().c_str());
}

QTEST_APPLESS_MAIN(TestConf)
#include "test_conf.moc"
