#include "train/rounds_writer.h"

#include "util/csv_field.h"
#include "util/error.h"

namespace scaleout {

namespace {
// Milliseconds are what a round's parts differ by; more digits are noise.
std::string seconds(double v) { return csvNumber("%.4f", v); }
}  // namespace

RoundsWriter::RoundsWriter(const std::string& path) : out_(path, std::ios::trunc) {
  if (!out_) throw ScaleoutError("cannot write the rounds file '" + path + "'");
  out_ << "round,phase,epoch,iteration,round_seconds,averaging_seconds,worker,id,task_round,arrived,samples,"
          "compute_seconds,wait_seconds\n";
}

void RoundsWriter::onRound(const RoundInfo& r) {
  std::lock_guard lock(mutex_);
  for (const WorkerRoundInfo& w : r.workers)
    out_ << r.round << ',' << csvField(r.phase) << ',' << r.epoch << ',' << r.iteration << ',' << seconds(r.seconds) << ','
         << seconds(r.averagingSeconds) << ',' << w.worker << ',' << csvField(w.id) << ',' << w.taskRound << ','
         << (w.arrived ? 1 : 0) << ',' << w.samples << ',' << seconds(w.computeSeconds) << ',' << seconds(w.waitSeconds)
         << '\n';
}

void RoundsWriter::onEpochFinished(const EpochInfo&) {
  std::lock_guard lock(mutex_);
  out_.flush();
}

}  // namespace scaleout
