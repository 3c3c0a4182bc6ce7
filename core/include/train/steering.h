#pragma once
// Live steering: knob changes requested from another thread (the GUI) while a run goes
// on. Which knobs can be steered is the registry's `steerable` column (knobs.def); a
// request is checked as --set checks it (the knob's type and range) before it is queued.
// The trainer applies the queue at its next round boundary and reports each change as a
// SteeringChange, so the change is marked on the charts and in metrics.csv.
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace scaleout {

// Why `knob` = `text` cannot be steered ("" when it can): an unknown or fixed knob, or a
// value of the wrong type or out of range. What Steering::request checks first.
std::string steeringProblem(const std::string& knob, const std::string& text);

class Steering {
 public:
  // Queues `knob` = `text` (as --set reads it). Returns "" when queued, else what is wrong
  // (an unknown or fixed knob, a value of the wrong type or out of range). A second
  // request for the same knob before the next round replaces the first.
  std::string request(const std::string& knob, const std::string& text);
  // The requests in the order their knobs were first asked for; the queue is then empty.
  std::vector<std::pair<std::string, nlohmann::json>> take();

 private:
  std::mutex m_;
  std::vector<std::pair<std::string, nlohmann::json>> pending_;
};

}  // namespace scaleout
