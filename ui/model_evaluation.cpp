#include "model_evaluation.h"

#include <QFileInfo>

#include "data/data_source.h"
#include "nn/network.h"

namespace scaleout::ui {

ModelEvaluation evaluateModelFile(const QString& path) {
  ModelEvaluation out;
  out.path = path;
  try {
    auto model = std::make_shared<ModelFile>(readModelFile(path.toStdString()));
    // The conf's test data, held out and normalised exactly as when it was trained.
    auto test = std::make_shared<DataSet>(loadTrainTest(model->conf).test);
    const NetworkLayout layout(model->conf);
    out.report = evaluate(model->conf, layout, model->params, *test);
    out.report.phase = QFileInfo(path).fileName().toStdString();
    out.model = std::move(model);
    out.test = std::move(test);
  } catch (const std::exception& e) {
    out.error = QString::fromStdString(e.what());
  }
  return out;
}

}  // namespace scaleout::ui
