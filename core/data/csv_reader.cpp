#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "data/csv_format.h"
#include "data/readers.h"
#include "util/error.h"

namespace scaleout {
namespace {

// Labels become the width of the output layer; a stray huge value must not size a matrix.
constexpr double kMaxLabel = 1000000;
// Notes list at most this many class names; the rest is summarised.
constexpr size_t kNamesInNote = 12;

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

// from_chars rejects a leading '+', so it is skipped here; it accepts "nan" and "inf",
// which are refused because one such value poisons a whole training run.
bool parseNumber(std::string_view cell, double& value) {
  if (!cell.empty() && cell.front() == '+') cell.remove_prefix(1);
  if (cell.empty()) return false;
  const auto result = std::from_chars(cell.data(), cell.data() + cell.size(), value);
  return result.ec == std::errc() && result.ptr == cell.data() + cell.size() && std::isfinite(value);
}

// "5,1": a number written with a decimal comma (the usual European export, ';' between
// cells). Not read as 5.1: it could as well be a thousands separator; the error says so.
bool isDecimalCommaNumber(std::string_view cell) {
  const size_t comma = cell.find(',');
  if (comma == std::string_view::npos || cell.find(',', comma + 1) != std::string_view::npos ||
      cell.find('.') != std::string_view::npos)
    return false;
  std::string dotted(cell);
  dotted[comma] = '.';
  double ignored = 0;
  return parseNumber(dotted, ignored);
}

// The markers spreadsheets, R, pandas and the UCI files use for "no value".
bool isMissing(std::string_view cell) {
  if (cell.empty() || cell == "?") return true;
  std::string lower(cell);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower == "na" || lower == "n/a" || lower == "nan" || lower == "null";
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

std::string listNames(const std::vector<std::string>& names) {
  std::string text;
  for (size_t i = 0; i < names.size() && i < kNamesInNote; ++i) {
    text += (i ? ", " : "") + std::to_string(i) + "=" + names[i];
  }
  if (names.size() > kNamesInNote) text += ", ... (" + std::to_string(names.size() - kNamesInNote) + " more)";
  return text;
}

bool isCount(std::string_view cell, size_t& count) {
  double value = 0;
  if (!parseNumber(cell, value) || value < 0 || value != std::floor(value) || value > 1e12) return false;
  count = static_cast<size_t>(value);
  return true;
}

// Lines of a file, with their 1-based numbers; '\r' before '\n' removed.
class LineCursor {
 public:
  explicit LineCursor(std::string_view text) : rest_(text) {}
  bool next(std::string_view& line) {
    if (rest_.empty()) return false;
    const size_t newline = rest_.find('\n');
    line = rest_.substr(0, newline);
    rest_ = newline == std::string_view::npos ? std::string_view() : rest_.substr(newline + 1);
    ++number_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return true;
  }
  size_t number() const { return number_; }
  std::string_view rest() const { return rest_; }

 private:
  std::string_view rest_;
  size_t number_ = 0;
};

// Turns label cells into class numbers: integers as they are, or names numbered in the
// order they first appear. Which of the two is fixed by the first data row.
class LabelMapper {
 public:
  LabelMapper(const std::string& path, const std::vector<std::string>& known) : path_(path), names_(known) {
    for (size_t i = 0; i < names_.size(); ++i) index_.emplace(names_[i], static_cast<int>(i));
    if (!names_.empty()) mode_ = Mode::Names;
  }

  int map(std::string_view cell, size_t line, size_t column) {
    double value = 0;
    const bool numeric = parseNumber(cell, value);
    if (mode_ == Mode::Undecided) mode_ = numeric ? Mode::Numbers : Mode::Names;
    if (mode_ == Mode::Names) {
      const auto [it, added] = index_.emplace(std::string(cell), static_cast<int>(names_.size()));
      if (added) names_.emplace_back(cell);
      return it->second;
    }
    if (!numeric || value < 0 || value != std::floor(value) || value > kMaxLabel) {
      throw ScaleoutError(where(path_, line, column) + " (label): expected a non-negative integer class label up to " +
                          std::to_string(static_cast<int>(kMaxLabel)) + ", found \"" + std::string(cell) + "\"" +
                          (numeric ? "" : "; the labels above are numbers, and a file holds either numbers or names"));
    }
    const int label = static_cast<int>(value);
    if (label > maxLabel_) maxLabel_ = label;
    return label;
  }

  bool namesUsed() const { return mode_ == Mode::Names; }
  const std::vector<std::string>& names() const { return names_; }
  int numClasses() const { return namesUsed() ? static_cast<int>(names_.size()) : maxLabel_ + 1; }

 private:
  enum class Mode { Undecided, Numbers, Names };
  const std::string& path_;
  Mode mode_ = Mode::Undecided;
  std::vector<std::string> names_;
  std::unordered_map<std::string, int> index_;
  int maxLabel_ = -1;
};

// The first cell outside the label column that is neither a number nor a missing-value
// marker: what makes a first line a header. 0 when there is none.
size_t firstWordColumn(const std::vector<std::string_view>& cells, int labelColumn) {
  const size_t labelIndex = labelColumn < 0 ? cells.size() - 1 : static_cast<size_t>(labelColumn);
  for (size_t c = 0; c < cells.size(); ++c) {
    double ignored = 0;
    // A decimal-comma number is no header word: the line is data, and fails as data.
    if (c != labelIndex && !parseNumber(cells[c], ignored) && !isMissing(cells[c]) && !isDecimalCommaNumber(cells[c]))
      return c + 1;
  }
  return 0;
}

}  // namespace

DataSet readCsv(const std::string& path, int labelColumn) {
  CsvOptions options;
  options.labelColumn = labelColumn;
  return readCsv(path, options);
}

DataSet readCsv(const std::string& path, const CsvOptions& options) {
  const int labelColumn = options.labelColumn;
  if (labelColumn < -1) {
    throw ScaleoutError(path + ": labelColumn " + std::to_string(labelColumn) +
                        " is invalid, expected a 0-based column index or -1 for the last column");
  }
  const std::string text = readWholeFile(path);
  std::string_view body(text);
  if (body.substr(0, 3) == "\xEF\xBB\xBF") body.remove_prefix(3);  // UTF-8 BOM from spreadsheets

  DataSet data;
  data.source = path;
  LineCursor lines(body);
  std::string_view line;
  if (options.skipLines > 0) {
    int skipped = 0;
    while (skipped < options.skipLines && lines.next(line)) ++skipped;
    data.notes.push_back(path + ": skipped the first " + std::to_string(skipped) + " line(s) (csvSkipLines=" +
                         std::to_string(options.skipLines) + ")");
  }
  const char delimiter = detectCsvDelimiter(lines.rest());
  if (delimiter != ',') data.notes.push_back(path + ": cells are separated by " + describeDelimiter(delimiter));
  CsvLineSplitter splitter(delimiter);
  LabelMapper labelMapper(path, options.knownClassNames);

  std::vector<float> values;
  std::vector<int> labels;
  std::vector<std::string_view> cells;
  std::vector<std::string> header;
  size_t headerLine = 0;
  size_t columns = 0;  // 0 until the first data line fixes it
  size_t columnsLine = 0;
  size_t labelIndex = 0;
  size_t dropped = 0;
  size_t firstDroppedLine = 0;

  while (lines.next(line)) {
    const size_t lineNumber = lines.number();
    if (isBlank(line)) continue;
    size_t badColumn = 0;
    if (!splitter.split(line, cells, badColumn)) {
      throw ScaleoutError(where(path, lineNumber, badColumn) + ": a quoted cell is not closed before the end of " +
                          "the line, or has text after its closing quote; expected \"text\" with \"\" for a quote");
    }

    if (columns == 0 && header.empty() && headerLine == 0 && options.skipLines < 0) {
      if (const size_t word = firstWordColumn(cells, labelColumn)) {
        header.assign(cells.begin(), cells.end());
        headerLine = lineNumber;
        data.notes.push_back(path + ": line " + std::to_string(lineNumber) +
                             " taken as a header: it holds a non-number (\"" + std::string(cells[word - 1]) +
                             "\" in column " + std::to_string(word) + "); set csvSkipLines=0 to read it as data");
        continue;
      }
    }

    if (columns == 0) {
      columns = cells.size();
      columnsLine = lineNumber;
      if (columns < 2) {
        throw ScaleoutError(where(path, lineNumber, 1) + ": found 1 column, expected at least 2 (features and a " +
                            "label) separated by ',' ';' or tab");
      }
      if (labelColumn >= 0 && static_cast<size_t>(labelColumn) >= columns) {
        throw ScaleoutError(path + ": labelColumn " + std::to_string(labelColumn) + " is out of range: line " +
                            std::to_string(lineNumber) + " has " + std::to_string(columns) +
                            " columns, expected 0.." + std::to_string(columns - 1) + " or -1 for the last");
      }
      labelIndex = labelColumn < 0 ? columns - 1 : static_cast<size_t>(labelColumn);
    }

    if (cells.size() != columns) {
      throw ScaleoutError(path + ": line " + std::to_string(lineNumber) + ": found " +
                          std::to_string(cells.size()) + " columns, expected " + std::to_string(columns) +
                          " (as on line " + std::to_string(columnsLine) + ")");
    }
    const size_t rowStart = values.size();
    size_t missingColumn = 0;
    for (size_t c = 0; c < columns && missingColumn == 0; ++c) {
      double value = 0;
      if (c == labelIndex) {
        if (isMissing(cells[c])) missingColumn = c + 1;
      } else if (parseNumber(cells[c], value)) {  // first: the marker check is only for failures
        values.push_back(static_cast<float>(value));
      } else if (isMissing(cells[c])) {
        missingColumn = c + 1;
      } else {
        std::string hint;
        if (isDecimalCommaNumber(cells[c])) {
          std::string dotted(cells[c]);
          dotted[dotted.find(',')] = '.';
          hint = ": it looks like a decimal comma; numbers need a decimal point (" + dotted +
                 "): export the file with '.' as the decimal separator";
        }
        throw ScaleoutError(where(path, lineNumber, c + 1) + ": expected a number, found \"" +
                            std::string(cells[c]) + "\"" + hint);
      }
    }
    if (missingColumn != 0) {
      if (!options.dropIncompleteRows) {
        throw ScaleoutError(where(path, lineNumber, missingColumn) + ": missing value (\"" +
                            std::string(cells[missingColumn - 1]) + "\"), expected a " +
                            (missingColumn - 1 == labelIndex ? "class label" : "number") +
                            "; set dropIncompleteRows=true to drop the rows with missing values");
      }
      values.resize(rowStart);
      if (dropped++ == 0) firstDroppedLine = lineNumber;
      continue;
    }
    labels.push_back(labelMapper.map(cells[labelIndex], lineNumber, labelIndex + 1));
    data.sourceLines.push_back(lineNumber);
  }

  if (columns == 0 && headerLine == 0) throw ScaleoutError(path + ": empty file, expected rows of numbers");
  if (dropped > 0) {
    data.notes.push_back(path + ": dropped " + std::to_string(dropped) + " row(s) with missing values, the first on line " +
                         std::to_string(firstDroppedLine) + " (dropIncompleteRows=true)");
  }
  if (labels.empty()) {
    if (dropped > 0) {
      throw ScaleoutError(path + ": all " + std::to_string(dropped) + " data rows have missing values " +
                          "(dropIncompleteRows=true dropped them), expected at least one complete row");
    }
    throw ScaleoutError(path + ": no data rows after the header on line " + std::to_string(headerLine) +
                        ", expected rows of numbers");
  }

  const auto rows = static_cast<Eigen::Index>(labels.size());
  const auto dims = static_cast<Eigen::Index>(columns - 1);
  data.features = Eigen::Map<const RowMatrix>(values.data(), rows, dims);
  data.labels = std::move(labels);
  data.numClasses = labelMapper.numClasses();
  if (labelMapper.namesUsed()) {
    data.classNames = labelMapper.names();
    data.notes.push_back(path + ": class labels are names, numbered in order of first appearance" +
                         (options.knownClassNames.empty() ? std::string() : " after those of the training data") +
                         ": " + listNames(data.classNames));
  }

  // A header as wide as the rows names the feature columns (the drill-down shows them).
  if (!header.empty() && header.size() == columns)
    for (size_t c = 0; c < columns; ++c)
      if (c != labelIndex) data.featureNames.push_back(header[c]);

  // An sklearn header ("samples,features,name0,name1,...") is shorter than the rows.
  if (!header.empty() && header.size() != columns) {
    size_t samples = 0, features = 0;
    const bool sklearn = header.size() >= 2 && isCount(header[0], samples) && isCount(header[1], features) &&
                         features + 1 == columns;
    if (sklearn && !labelMapper.namesUsed() && header.size() - 2 >= static_cast<size_t>(data.numClasses)) {
      data.classNames.assign(header.begin() + 2, header.end());
      data.numClasses = static_cast<int>(data.classNames.size());
      data.notes.push_back(path + ": the header is in the sklearn format (" + std::to_string(samples) + " samples, " +
                           std::to_string(features) + " features, then class names): " + listNames(data.classNames));
    } else {
      data.notes.push_back(path + ": the header on line " + std::to_string(headerLine) + " has " +
                           std::to_string(header.size()) + " cells but the rows have " + std::to_string(columns) +
                           "; its names are not used");
    }
    if (sklearn && samples != data.size() + dropped) {
      data.notes.push_back(path + ": the header promises " + std::to_string(samples) + " samples, the file holds " +
                           std::to_string(data.size() + dropped));
    }
  }
  return data;
}

}  // namespace scaleout
