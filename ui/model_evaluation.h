#pragma once
// Evaluating a saved model from the GUI: read the model file, load the test data its conf
// names (normalised as it was trained), and evaluate. Blocking: MainWindow runs it on a
// worker thread and hands the result to the evaluation and filter views.
#include <memory>

#include <QString>

#include "data/dataset.h"
#include "io/model_file.h"
#include "train/evaluation.h"

namespace scaleout::ui {

struct ModelEvaluation {
  QString path;
  std::shared_ptr<const ModelFile> model;
  std::shared_ptr<const DataSet> test;
  EvalReport report;
  QString error;  // non-empty: nothing else is valid
};

ModelEvaluation evaluateModelFile(const QString& path);

}  // namespace scaleout::ui
