#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "data/readers.h"
#include "util/error.h"

namespace scaleout {
namespace {

// Labels become the width of the output layer; a stray huge value must not size a matrix.
constexpr double kMaxLabel = 1000000;

std::string readWholeFile(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) throw ScaleoutError(path + ": no such file");
  if (std::filesystem::is_directory(status)) {
    throw ScaleoutError(path + ": is a directory, expected a CSV file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ScaleoutError(path + ": cannot open for reading");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ScaleoutError(path + ": read error");
  return std::move(text).str();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  // Spreadsheets often quote every cell, numbers included.
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

// from_chars rejects a leading '+', so it is skipped here; it accepts "nan" and "inf",
// which are refused because one such value poisons a whole training run.
bool parseNumber(std::string_view cell, double& value) {
  if (!cell.empty() && cell.front() == '+') cell.remove_prefix(1);
  if (cell.empty()) return false;
  const auto result = std::from_chars(cell.data(), cell.data() + cell.size(), value);
  return result.ec == std::errc() && result.ptr == cell.data() + cell.size() && std::isfinite(value);
}

void splitCells(std::string_view line, std::vector<std::string_view>& cells) {
  cells.clear();
  size_t start = 0;
  while (true) {
    const size_t comma = line.find(',', start);
    if (comma == std::string_view::npos) {
      cells.push_back(trim(line.substr(start)));
      return;
    }
    cells.push_back(trim(line.substr(start, comma - start)));
    start = comma + 1;
  }
}

bool isBlank(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t') return false;
  }
  return true;
}

std::string where(const std::string& path, size_t line, size_t column) {
  return path + ": line " + std::to_string(line) + ", column " + std::to_string(column);
}

}  // namespace

DataSet readCsv(const std::string& path, int labelColumn) {
  if (labelColumn < -1) {
    throw ScaleoutError(path + ": labelColumn " + std::to_string(labelColumn) +
                        " is invalid, expected a 0-based column index or -1 for the last column");
  }
  const std::string text = readWholeFile(path);
  std::string_view rest(text);
  if (rest.substr(0, 3) == "\xEF\xBB\xBF") rest.remove_prefix(3);  // UTF-8 BOM from spreadsheets

  std::vector<float> values;
  std::vector<int> labels;
  std::vector<std::string_view> cells;
  size_t columns = 0;  // 0 until the first non-blank line fixes it
  size_t columnsLine = 0;
  size_t labelIndex = 0;
  bool header = false;
  int maxLabel = -1;
  size_t lineNumber = 0;

  while (!rest.empty()) {
    const size_t newline = rest.find('\n');
    std::string_view line = rest.substr(0, newline);
    rest = newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
    ++lineNumber;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (isBlank(line)) continue;
    splitCells(line, cells);

    if (columns == 0) {
      columns = cells.size();
      columnsLine = lineNumber;
      if (columns < 2) {
        throw ScaleoutError(where(path, lineNumber, 1) + ": found 1 column, expected at least 2 " +
                            "(features and a label)");
      }
      if (labelColumn >= 0 && static_cast<size_t>(labelColumn) >= columns) {
        throw ScaleoutError(path + ": labelColumn " + std::to_string(labelColumn) + " is out of range: line " +
                            std::to_string(lineNumber) + " has " + std::to_string(columns) +
                            " columns, expected 0.." + std::to_string(columns - 1) + " or -1 for the last");
      }
      labelIndex = labelColumn < 0 ? columns - 1 : static_cast<size_t>(labelColumn);
      double ignored = 0;
      for (auto cell : cells) {
        if (!parseNumber(cell, ignored)) header = true;
      }
      if (header) continue;
    }

    if (cells.size() != columns) {
      throw ScaleoutError(path + ": line " + std::to_string(lineNumber) + ": found " +
                          std::to_string(cells.size()) + " columns, expected " + std::to_string(columns) +
                          " (as on line " + std::to_string(columnsLine) + ")");
    }
    for (size_t c = 0; c < columns; ++c) {
      double value = 0;
      if (!parseNumber(cells[c], value)) {
        throw ScaleoutError(where(path, lineNumber, c + 1) + ": expected a number, found \"" +
                            std::string(cells[c]) + "\"");
      }
      if (c == labelIndex) {
        if (value < 0 || value != std::floor(value) || value > kMaxLabel) {
          throw ScaleoutError(where(path, lineNumber, c + 1) + " (label): expected a non-negative integer " +
                              "class label up to " + std::to_string(static_cast<int>(kMaxLabel)) +
                              ", found \"" + std::string(cells[c]) + "\"");
        }
        const int label = static_cast<int>(value);
        labels.push_back(label);
        if (label > maxLabel) maxLabel = label;
      } else {
        values.push_back(static_cast<float>(value));
      }
    }
  }

  if (columns == 0) throw ScaleoutError(path + ": empty file, expected rows of numbers");
  if (labels.empty()) {
    throw ScaleoutError(path + ": no data rows after the header on line " + std::to_string(columnsLine) +
                        ", expected rows of numbers");
  }

  DataSet data;
  const auto rows = static_cast<Eigen::Index>(labels.size());
  const auto dims = static_cast<Eigen::Index>(columns - 1);
  data.features = Eigen::Map<const RowMatrix>(values.data(), rows, dims);
  data.labels = std::move(labels);
  data.numClasses = maxLabel + 1;
  data.source = path;
  return data;
}

}  // namespace scaleout
