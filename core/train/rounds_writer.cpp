#include "train/rounds_writer.h"

#include <cstdio>

#include "util/error.h"

namespace scaleout {

namespace {
// Milliseconds are what a round's parts differ by; more digits are noise.
std::string seconds(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}
// Worker ids are host:pid or local-N, and phases "finetune" or "pretrain layer N": no
// commas or quotes, but an id comes from a remote peer, so it is checked, not trusted.
std::string field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c == '\n' || c == '\r' ? ' ' : c);
  return out + "\"";
}
}  // namespace

RoundsWriter::RoundsWriter(const std::string& path) : out_(path, std::ios::trunc) {
  if (!out_) throw ScaleoutError("cannot write the rounds file '" + path + "'");
  out_ << "round,phase,epoch,iteration,round_seconds,averaging_seconds,worker,id,task_round,arrived,samples,"
          "compute_seconds,wait_seconds\n";
}

void RoundsWriter::onRound(const RoundInfo& r) {
  std::lock_guard lock(mutex_);
  for (const WorkerRoundInfo& w : r.workers)
    out_ << r.round << ',' << field(r.phase) << ',' << r.epoch << ',' << r.iteration << ',' << seconds(r.seconds) << ','
         << seconds(r.averagingSeconds) << ',' << w.worker << ',' << field(w.id) << ',' << w.taskRound << ','
         << (w.arrived ? 1 : 0) << ',' << w.samples << ',' << seconds(w.computeSeconds) << ',' << seconds(w.waitSeconds)
         << '\n';
}

void RoundsWriter::onEpochFinished(const EpochInfo&) {
  std::lock_guard lock(mutex_);
  out_.flush();
}

}  // namespace scaleout
