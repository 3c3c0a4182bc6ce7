// `scaleout eval MODEL [--data FILE [--labels FILE]]` and
// `scaleout predict MODEL --data FILE --out predictions.csv`.
#include <fstream>
#include <iostream>

#include <QCommandLineParser>

#include "commands.h"
#include "data/data_source.h"
#include "data/readers.h"
#include "io/model_file.h"
#include "nn/network.h"
#include "train/evaluation.h"
#include "util/error.h"

using namespace scaleout;

namespace {

// A name holding a comma or quote is quoted, "" escaping its quotes.
std::string csvQuoted(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

bool isCsv(const std::string& path) { return path.size() > 4 && path.substr(path.size() - 4) == ".csv"; }

// Labelled data from --data/--labels, normalised as the model's training data was.
DataSet loadLabelled(const ModelFile& model, const std::string& dataPath, const std::string& labelsPath) {
  DataSet data;
  if (isCsv(dataPath)) {
    CsvOptions options;
    options.labelColumn = model.conf.labelColumn;
    options.skipLines = model.conf.csvSkipLines;
    options.dropIncompleteRows = model.conf.dropIncompleteRows;
    options.knownClassNames = model.classNames;  // names keep the numbers the model was trained with
    data = readCsv(dataPath, options);
    if (data.classNames.size() > model.classNames.size()) {
      std::string unknown;
      for (size_t c = model.classNames.size(); c < data.classNames.size(); ++c)
        unknown += (unknown.empty() ? "\"" : ", \"") + data.classNames[c] + "\"";
      throw ScaleoutError("'" + dataPath + "' has class labels the model was not trained on: " + unknown +
                          (model.classNames.empty() ? "; the model's classes are numbers" : ""));
    }
  } else {
    data = readIdx(dataPath, labelsPath);
  }
  if (data.dims() != model.conf.nIn)
    throw ScaleoutError("'" + dataPath + "' has " + std::to_string(data.dims()) + " features but the model expects " +
                        std::to_string(model.conf.nIn));
  model.normalizer.apply(data.features);
  return data;
}

}  // namespace

int runEvalCommand(const QStringList& args) {
  QCommandLineParser parser;
  parser.setApplicationDescription("Evaluate a saved model.");
  parser.addHelpOption();
  parser.addOption({"data", "Images (IDX) or CSV to evaluate on; default: the model conf's test data.", "FILE"});
  parser.addOption({"labels", "IDX labels for --data.", "FILE"});
  parser.addPositionalArgument("model", "Model file written by `scaleout train`.", "MODEL");
  parser.process(args);
  if (parser.positionalArguments().size() != 1) {
    std::cerr << "error: eval needs exactly one model file\n";
    return 2;
  }
  try {
    ModelFile model = readModelFile(parser.positionalArguments()[0].toStdString());
    NetworkLayout layout(model.conf);
    DataSet data;
    if (parser.isSet("data")) {
      data = loadLabelled(model, parser.value("data").toStdString(), parser.value("labels").toStdString());
    } else {
      data = loadTrainTest(model.conf).test;
    }
    if (data.classNames.empty()) data.classNames = model.classNames;
    EvalReport report = evaluate(model.conf, layout, model.params, data);
    std::cout << report.format();
    return 0;
  } catch (const ScaleoutError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}

int runPredictCommand(const QStringList& args) {
  QCommandLineParser parser;
  parser.setApplicationDescription("Write the predicted class and class probabilities of each row.");
  parser.addHelpOption();
  parser.addOption({"data", "Images (IDX) or CSV to predict.", "FILE"});
  parser.addOption({"labels", "IDX labels (needed to read an IDX pair; ignored for prediction).", "FILE"});
  parser.addOption({"out", "Output CSV.", "FILE", "predictions.csv"});
  parser.addPositionalArgument("model", "Model file written by `scaleout train`.", "MODEL");
  parser.process(args);
  if (parser.positionalArguments().size() != 1 || !parser.isSet("data")) {
    std::cerr << "error: predict needs a model file and --data FILE\n";
    return 2;
  }
  try {
    ModelFile model = readModelFile(parser.positionalArguments()[0].toStdString());
    NetworkLayout layout(model.conf);
    if (!layout.isStack()) throw ScaleoutError("predict needs a classifier (mlp, dbn, cdbn, sda); this model is a " + model.conf.networkClass);
    const std::string dataPath = parser.value("data").toStdString();
    RowMatrix features = isCsv(dataPath) ? readCsvFeatures(dataPath, model.conf.nIn, model.conf.labelColumn)
                                         : readIdxImages(dataPath);
    if (features.cols() != model.conf.nIn)
      throw ScaleoutError("'" + dataPath + "' has " + std::to_string(features.cols()) + " features but the model expects " + std::to_string(model.conf.nIn));
    model.normalizer.apply(features);
    Eigen::MatrixXf probs = predictProbabilities(model.conf, layout, model.params, features);
    const std::string outPath = parser.value("out").toStdString();
    std::ofstream out(outPath);
    if (!out) throw ScaleoutError("cannot write '" + outPath + "'");
    // With class names, the name of the predicted class follows its number.
    const bool named = !model.classNames.empty();
    out << (named ? "row,predicted,predictedClass" : "row,predicted");
    for (Eigen::Index c = 0; c < probs.cols(); ++c) out << ",p" << c;
    out << "\n";
    for (Eigen::Index r = 0; r < probs.rows(); ++r) {
      Eigen::Index best;
      probs.row(r).maxCoeff(&best);
      out << r << ',' << best;
      if (named) out << ',' << csvQuoted(best < static_cast<Eigen::Index>(model.classNames.size()) ? model.classNames[static_cast<size_t>(best)] : "");
      for (Eigen::Index c = 0; c < probs.cols(); ++c) out << ',' << probs(r, c);
      out << '\n';
    }
    std::cout << "wrote " << probs.rows() << " predictions to " << outPath << "\n";
    return 0;
  } catch (const ScaleoutError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
