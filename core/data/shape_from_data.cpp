#include "data/shape_from_data.h"

#include "config/plan.h"

namespace scaleout {

std::vector<std::string> takeShapeFromData(Conf& conf, const TrainTestData& data, GivenShape given) {
  std::vector<std::string> notes;
  if (!given.nIn && data.train.dims() > 0 && conf.nIn != data.train.dims()) {
    notes.push_back("nIn=" + std::to_string(data.train.dims()) + " from the data's features (the conf does not set nIn)");
    conf.nIn = data.train.dims();
  }
  if (!given.nOut && isStackNetwork(conf.networkClass) && data.train.numClasses > 0 &&
      conf.nOut != data.train.numClasses) {
    notes.push_back("nOut=" + std::to_string(data.train.numClasses) +
                    " from the data's classes (the conf does not set nOut)");
    conf.nOut = data.train.numClasses;
  }
  return notes;
}

}  // namespace scaleout
