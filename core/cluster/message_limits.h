#pragma once
// How large one inbound ZeroMQ frame may be (ZMQ_MAXMSGSIZE). Without a limit libzmq
// allocates whatever size a peer declares, even inside the CURVE handshake, before any key
// is checked: one connection declaring 8000 MiB took a master from 37 MB to 2.1 GB.
// libzmq applies the limit to each frame, handshake commands included, and drops the
// connection of a peer that declares more.
#include <cstddef>

namespace scaleout::cluster {

// Headers, bodies (losses, error text) and the ZMTP handshake commands stay well below this.
inline constexpr size_t kMessageMarginBytes = size_t{4} << 20;

// The master's limit. The largest legitimate frame it receives is the blob of a Result:
// at most the phase's parameters as float32 (exchangeCompression=none; a quarter of that
// with int8). Bulk data (shards) goes master -> worker, so it never counts here.
size_t maxInboundMessageBytes(size_t parameterCount);

// The worker's limit. It connects before it knows the conf, so the bound is fixed: 1 GiB
// covers a task's parameters sent whole (float32) for networks of up to ~250 M
// parameters; the training rows arrive in chunks of kShardChunkBytes (1 MiB).
inline constexpr size_t kWorkerMaxInboundBytes = size_t{1} << 30;

}  // namespace scaleout::cluster
