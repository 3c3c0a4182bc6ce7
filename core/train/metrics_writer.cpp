#include "train/metrics_writer.h"

#include "util/csv_field.h"
#include "util/error.h"

namespace scaleout {

namespace {
std::string number(double v) { return csvNumber("%.6g", v); }
}  // namespace

MetricsWriter::MetricsWriter(const std::string& path) : out_(path, std::ios::trunc) {
  if (!out_) throw ScaleoutError("cannot write metrics file '" + path + "'");
  out_ << "iteration,epoch,phase,worker,loss,test_accuracy,event\n";
}

void MetricsWriter::row(long long iteration, int epoch, const std::string& phase, const std::string& worker,
                        const std::string& loss, const std::string& accuracy, const std::string& event) {
  out_ << iteration << ',' << epoch << ',' << csvField(phase) << ',' << worker << ',' << loss << ',' << accuracy << ','
       << csvField(event) << '\n';
}

void MetricsWriter::onIteration(const IterationInfo& it) {
  std::lock_guard lock(mutex_);
  epoch_ = it.epoch;
  phase_ = it.phase;
  iteration_ = it.iteration;
  row(it.iteration, it.epoch, it.phase, std::to_string(it.worker), number(it.loss), "", "");
}

void MetricsWriter::onEvaluation(const EvalReport& r) {
  std::lock_guard lock(mutex_);
  std::string event = "evaluation";
  for (size_t i = 0; i < r.reconstructionErrors.size(); ++i)
    event += " recon" + std::to_string(i) + "=" + number(r.reconstructionErrors[i]);
  row(r.iteration, r.epoch, r.phase, "", "", r.hasClassification ? number(r.accuracy) : "", event);
  out_.flush();
}

void MetricsWriter::onEpochFinished(const EpochInfo& e) {
  std::lock_guard lock(mutex_);
  row(e.iteration, e.epoch, e.phase, "", number(e.meanLoss), "", "epoch end");
  out_.flush();
}

void MetricsWriter::onSteering(const SteeringChange& c) {
  std::lock_guard lock(mutex_);
  row(c.iteration, epoch_, phase_, "", "", "", "steer " + c.knob + " " + c.from + " -> " + c.to);
  out_.flush();
}

void MetricsWriter::onMessage(const std::string& text) {
  std::lock_guard lock(mutex_);
  row(iteration_, epoch_, phase_, "", "", "", text);
  out_.flush();  // rare (a worker joined or was lost, a share changed): what explains a crash
}

void MetricsWriter::onCheckpoint(const std::string& path, long long iteration) {
  std::lock_guard lock(mutex_);
  row(iteration, epoch_, phase_, "", "", "", "checkpoint " + path);
  out_.flush();  // the rows up to a checkpoint are on disk with it
}

}  // namespace scaleout
