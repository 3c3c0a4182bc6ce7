// Unlabelled inputs for prediction: IDX images alone, CSV rows of features.
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <zlib.h>

#include "data/readers.h"
#include "util/error.h"

namespace scaleout {

RowMatrix readIdxImages(const std::string& path) {
  if (!std::filesystem::exists(path)) throw ScaleoutError(path + ": no such file");
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw ScaleoutError(path + ": cannot open");
  struct Closer {
    gzFile f;
    ~Closer() { gzclose(f); }
  } closer{f};
  unsigned char header[4];
  if (gzread(f, header, 4) != 4) throw ScaleoutError(path + ": truncated header: expected 4 bytes");
  if (header[0] != 0 || header[1] != 0 || header[2] != 0x08 || header[3] < 2)
    throw ScaleoutError(path + ": wrong magic number: expected 0x00000803 (unsigned byte images, rank >= 2)");
  const int rank = header[3];
  std::vector<uint64_t> dims(static_cast<size_t>(rank));
  for (auto& d : dims) {
    unsigned char b[4];
    if (gzread(f, b, 4) != 4) throw ScaleoutError(path + ": truncated header dimensions");
    d = (uint64_t{b[0]} << 24) | (uint64_t{b[1]} << 16) | (uint64_t{b[2]} << 8) | b[3];
  }
  uint64_t perSample = 1;
  for (int i = 1; i < rank; ++i) perSample *= dims[static_cast<size_t>(i)];
  const uint64_t total = dims[0] * perSample;
  if (perSample == 0 || total > (uint64_t{1} << 31)) throw ScaleoutError(path + ": implausible dimensions in the header");
  std::vector<unsigned char> bytes(total);
  size_t got = 0;
  while (got < total) {
    const int r = gzread(f, bytes.data() + got, static_cast<unsigned>(std::min<uint64_t>(total - got, 1u << 22)));
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  if (got < total)
    throw ScaleoutError(path + ": truncated images: expected " + std::to_string(total) + " bytes, got " + std::to_string(got));
  RowMatrix m(static_cast<Eigen::Index>(dims[0]), static_cast<Eigen::Index>(perSample));
  for (uint64_t i = 0; i < total; ++i) m.data()[i] = bytes[i];
  return m;
}

RowMatrix readCsvFeatures(const std::string& path, int nIn, int labelColumn) {
  std::ifstream in(path);
  if (!in) throw ScaleoutError(path + ": " + (std::filesystem::exists(path) ? "cannot be read" : "no such file"));
  std::vector<float> values;
  std::string line;
  size_t lineNo = 0, rows = 0;
  int columns = -1;
  while (std::getline(in, line)) {
    ++lineNo;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    std::vector<float> row;
    std::stringstream cells(line);
    std::string cell;
    bool numeric = true;
    size_t col = 0;
    std::string bad;
    while (std::getline(cells, cell, ',')) {
      ++col;
      const char* b = cell.data();
      while (*b == ' ') ++b;
      float v;
      auto [p, ec] = std::from_chars(b, cell.data() + cell.size(), v);
      if (ec != std::errc() || (p != cell.data() + cell.size() && *p != ' ')) {
        numeric = false;
        bad = "line " + std::to_string(lineNo) + ", column " + std::to_string(col) + ": '" + cell + "' is not a number";
        break;
      }
      row.push_back(v);
    }
    if (!numeric) {
      if (rows == 0 && columns < 0) continue;  // a header line
      throw ScaleoutError(path + ": " + bad);
    }
    const int n = static_cast<int>(row.size());
    if (n != nIn && n != nIn + 1)
      throw ScaleoutError(path + ": line " + std::to_string(lineNo) + " has " + std::to_string(n) +
                          " values; expected " + std::to_string(nIn) + " features (or " + std::to_string(nIn + 1) + " with a label)");
    if (columns >= 0 && n != columns)
      throw ScaleoutError(path + ": line " + std::to_string(lineNo) + " has " + std::to_string(n) + " values, earlier lines " + std::to_string(columns));
    columns = n;
    if (n == nIn + 1) row.erase(row.begin() + (labelColumn < 0 ? n - 1 : std::min(labelColumn, n - 1)));
    values.insert(values.end(), row.begin(), row.end());
    ++rows;
  }
  if (rows == 0) throw ScaleoutError(path + ": no data rows");
  return Eigen::Map<RowMatrix>(values.data(), static_cast<Eigen::Index>(rows), nIn);
}

}  // namespace scaleout
