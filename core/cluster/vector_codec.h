#pragma once
// How parameter vectors cross the link (the knob exchangeCompression, docs/cluster.md
// "Light rounds"). float32 is exact; bf16 halves the bytes; int8 quarters them (blocks of
// kInt8Block values share one float scale). The lossy codecs are used with error feedback
// (Karimireddy et al., arXiv 1901.09847): what rounding dropped is kept in a residual and
// added to the next message, so the error does not build up over rounds.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "config/choices.h"

namespace scaleout::cluster {

// Numbers are part of the wire format: never renumber.
enum class Codec : uint8_t { Float32 = 0, BFloat16 = 1, Int8 = 2 };

inline constexpr size_t kInt8Block = 256;

const char* codecName(Codec codec);
// The codec of the plan's exchangeCompression.
Codec codecFor(LinkCompression compression);
bool knownCodec(uint8_t value);

// Exact encoded size of `count` values.
size_t encodedBytes(Codec codec, size_t count);

// Encodes values[0..n) (+ residual[i] when `residual` is given) into `out` (resized), and
// stores in `residual` what the encoding lost: residual = (values + residual) - decoded.
void encodeVector(Codec codec, const float* values, size_t n, float* residual, std::vector<uint8_t>& out);

// out[i] += decoded value i. Fails closed (returns false, sets `error`, leaves `out`
// unspecified) on a size that does not match `n` or a value that is not finite.
bool addDecoded(Codec codec, std::span<const uint8_t> bytes, size_t n, float* out, std::string& error);

// out[i] = decoded value i; same checks.
bool decodeVector(Codec codec, std::span<const uint8_t> bytes, size_t n, float* out, std::string& error);

}  // namespace scaleout::cluster
