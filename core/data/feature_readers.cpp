// Unlabelled inputs for prediction: IDX images alone, CSV rows of features.
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

#include <zlib.h>

#include "data/csv_format.h"
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
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ScaleoutError(path + ": " + (std::filesystem::exists(path) ? "cannot be read" : "no such file"));
  std::ostringstream whole;
  whole << in.rdbuf();
  const std::string text = std::move(whole).str();
  std::string_view rest(text);
  if (rest.substr(0, 3) == "\xEF\xBB\xBF") rest.remove_prefix(3);
  CsvLineSplitter splitter(detectCsvDelimiter(rest));
  std::vector<std::string_view> cells;
  std::vector<float> values;
  size_t lineNo = 0, rows = 0;
  int columns = -1;
  while (!rest.empty()) {
    const size_t newline = rest.find('\n');
    std::string_view line = rest.substr(0, newline);
    rest = newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
    ++lineNo;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    size_t badColumn = 0;
    if (!splitter.split(line, cells, badColumn))
      throw ScaleoutError(path + ": line " + std::to_string(lineNo) + ", column " + std::to_string(badColumn) +
                          ": a quoted cell is not closed on its line, expected \"text\" with \"\" for a quote");
    const int n = static_cast<int>(cells.size());
    // With one cell more than nIn, that cell is a label (a number or a name) and is not read.
    const int skip = n == nIn + 1 ? (labelColumn < 0 ? n - 1 : std::min(labelColumn, n - 1)) : -1;
    size_t bad = 0;
    for (int c = 0; c < n && bad == 0; ++c) {
      float v;
      const std::string_view cell = cells[static_cast<size_t>(c)];
      const auto [p, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
      if (c != skip && (cell.empty() || ec != std::errc() || p != cell.data() + cell.size())) bad = static_cast<size_t>(c) + 1;
    }
    if (bad != 0 && rows == 0 && columns < 0) {
      columns = 0;  // the first line holds a word: a header
      continue;
    }
    if (bad != 0)
      throw ScaleoutError(path + ": line " + std::to_string(lineNo) + ", column " + std::to_string(bad) + ": expected a number, found \"" +
                          std::string(cells[bad - 1]) + "\"");
    if (n != nIn && n != nIn + 1)
      throw ScaleoutError(path + ": line " + std::to_string(lineNo) + " has " + std::to_string(n) +
                          " values; expected " + std::to_string(nIn) + " features (or " + std::to_string(nIn + 1) + " with a label)");
    if (columns > 0 && n != columns)
      throw ScaleoutError(path + ": line " + std::to_string(lineNo) + " has " + std::to_string(n) + " values, earlier lines " + std::to_string(columns));
    columns = n;
    for (int c = 0; c < n; ++c) {
      if (c == skip) continue;
      float v = 0;
      const std::string_view cell = cells[static_cast<size_t>(c)];
      std::from_chars(cell.data(), cell.data() + cell.size(), v);
      values.push_back(v);
    }
    ++rows;
  }
  if (rows == 0) throw ScaleoutError(path + ": no data rows");
  return Eigen::Map<RowMatrix>(values.data(), static_cast<Eigen::Index>(rows), nIn);
}

}  // namespace scaleout
