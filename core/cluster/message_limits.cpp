#include "cluster/message_limits.h"

namespace scaleout::cluster {

size_t maxInboundMessageBytes(size_t parameterCount) { return 4 * parameterCount + kMessageMarginBytes; }

}  // namespace scaleout::cluster
