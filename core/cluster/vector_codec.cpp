#include "cluster/vector_codec.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace scaleout::cluster {
namespace {

uint16_t toBf16(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  if ((bits & 0x7f800000u) == 0x7f800000u) return static_cast<uint16_t>(bits >> 16);  // inf/NaN stay as they are
  // Round to nearest, ties to even, on the 16 bits that are dropped.
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

float fromBf16(uint16_t h) {
  const uint32_t bits = static_cast<uint32_t>(h) << 16;
  float v;
  std::memcpy(&v, &bits, 4);
  return v;
}

// std::nearbyint for |v| < 2^22 (here |v| <= 127, or NaN), without the libm call the
// x86-64 baseline makes of it: adding and subtracting 1.5 * 2^23 leaves no fraction bits,
// so the FPU's default rounding (to nearest, ties to even) does the work, 4 or 8 lanes
// at a time. Same results as nearbyint, so the wire format and the residuals do not move.
inline float roundToNearestEven(float v) {
  constexpr float kMagic = 12582912.0f;  // 1.5 * 2^23; IEEE arithmetic (no -ffast-math) keeps both steps
  return (v + kMagic) - kMagic;
}

size_t int8Blocks(size_t n) { return (n + kInt8Block - 1) / kInt8Block; }

// Calls f(i, decodedValue) for each value; false on a non-finite value.
template <typename F>
bool forEachDecoded(Codec codec, std::span<const uint8_t> bytes, size_t n, std::string& error, F&& f) {
  if (bytes.size() != encodedBytes(codec, n)) {
    error = std::string(codecName(codec)) + " vector of " + std::to_string(n) + " values must be " +
            std::to_string(encodedBytes(codec, n)) + " bytes, not " + std::to_string(bytes.size());
    return false;
  }
  switch (codec) {
    case Codec::Float32: {
      for (size_t i = 0; i < n; ++i) {
        float v;
        std::memcpy(&v, bytes.data() + 4 * i, 4);
        if (!std::isfinite(v)) {
          error = "value " + std::to_string(i) + " is not finite";
          return false;
        }
        f(i, v);
      }
      return true;
    }
    case Codec::BFloat16: {
      for (size_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, bytes.data() + 2 * i, 2);
        const float v = fromBf16(h);
        if (!std::isfinite(v)) {
          error = "value " + std::to_string(i) + " is not finite";
          return false;
        }
        f(i, v);
      }
      return true;
    }
    case Codec::Int8: {
      const size_t blocks = int8Blocks(n);
      const uint8_t* codes = bytes.data() + 4 * blocks;
      for (size_t b = 0; b < blocks; ++b) {
        float scale;
        std::memcpy(&scale, bytes.data() + 4 * b, 4);
        if (!std::isfinite(scale) || scale < 0) {
          error = "block " + std::to_string(b) + " has a scale that is negative or not finite";
          return false;
        }
        const size_t end = std::min(n, (b + 1) * kInt8Block);
        for (size_t i = b * kInt8Block; i < end; ++i) f(i, scale * static_cast<float>(static_cast<int8_t>(codes[i])));
      }
      return true;
    }
  }
  error = "unknown codec";
  return false;
}

}  // namespace

const char* codecName(Codec codec) {
  switch (codec) {
    case Codec::Float32: return "float32";
    case Codec::BFloat16: return "bf16";
    case Codec::Int8: return "int8";
  }
  return "unknown";
}

Codec codecFor(LinkCompression compression) {
  switch (compression) {
    case LinkCompression::None: return Codec::Float32;
    case LinkCompression::BFloat16: return Codec::BFloat16;
    case LinkCompression::Int8: return Codec::Int8;
  }
  return Codec::Int8;
}

bool knownCodec(uint8_t value) { return value <= static_cast<uint8_t>(Codec::Int8); }

size_t encodedBytes(Codec codec, size_t count) {
  switch (codec) {
    case Codec::Float32: return 4 * count;
    case Codec::BFloat16: return 2 * count;
    case Codec::Int8: return count + 4 * int8Blocks(count);
  }
  return 0;
}

void encodeVector(Codec codec, const float* values, size_t n, float* residual, std::vector<uint8_t>& out) {
  out.resize(encodedBytes(codec, n));
  switch (codec) {
    case Codec::Float32:
      for (size_t i = 0; i < n; ++i) {
        const float v = values[i] + (residual ? residual[i] : 0.0f);
        std::memcpy(out.data() + 4 * i, &v, 4);
        if (residual) residual[i] = 0.0f;
      }
      return;
    case Codec::BFloat16:
      for (size_t i = 0; i < n; ++i) {
        const float v = values[i] + (residual ? residual[i] : 0.0f);
        const uint16_t h = toBf16(v);
        std::memcpy(out.data() + 2 * i, &h, 2);
        if (residual) residual[i] = v - fromBf16(h);
      }
      return;
    case Codec::Int8: {
      const size_t blocks = int8Blocks(n);
      uint8_t* codes = out.data() + 4 * blocks;
      float x[kInt8Block];
      for (size_t b = 0; b < blocks; ++b) {
        const size_t begin = b * kInt8Block, end = std::min(n, begin + kInt8Block);
        float maxAbs = 0;
        for (size_t i = begin; i < end; ++i) {
          x[i - begin] = values[i] + (residual ? residual[i] : 0.0f);
          maxAbs = std::max(maxAbs, std::fabs(x[i - begin]));
        }
        const float scale = std::isfinite(maxAbs) ? maxAbs / 127.0f : 0.0f;
        const float inverse = scale > 0 ? 1.0f / scale : 0.0f;
        std::memcpy(out.data() + 4 * b, &scale, 4);
        for (size_t i = begin; i < end; ++i) {
          const float q = std::clamp(roundToNearestEven(x[i - begin] * inverse), -127.0f, 127.0f);
          codes[i] = static_cast<uint8_t>(static_cast<int8_t>(q));
          if (residual) residual[i] = x[i - begin] - scale * q;
        }
      }
      return;
    }
  }
}

bool addDecoded(Codec codec, std::span<const uint8_t> bytes, size_t n, float* out, std::string& error) {
  return forEachDecoded(codec, bytes, n, error, [out](size_t i, float v) { out[i] += v; });
}

bool decodeVector(Codec codec, std::span<const uint8_t> bytes, size_t n, float* out, std::string& error) {
  return forEachDecoded(codec, bytes, n, error, [out](size_t i, float v) { out[i] = v; });
}

}  // namespace scaleout::cluster
