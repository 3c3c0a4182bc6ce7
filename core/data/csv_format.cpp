#include "data/csv_format.h"

#include <cstring>

namespace scaleout {
namespace {

bool isSpace(char c) { return c == ' ' || c == '\t'; }

std::string_view trimSpaces(std::string_view s, char delimiter) {
  // A tab is a delimiter in a TSV file, so it is only trimmed in other files.
  auto blank = [delimiter](char c) { return c == ' ' || (c == '\t' && delimiter != '\t'); };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

bool isBlankLine(std::string_view line) {
  for (char c : line) {
    if (!isSpace(c) && c != '\r') return false;
  }
  return true;
}

}  // namespace

bool CsvLineSplitter::split(std::string_view line, std::vector<std::string_view>& cells, size_t& badColumn) {
  cells.clear();
  unescaped_.clear();
  if (line.find('"') == std::string_view::npos) {
    // Fast path: most numeric files hold no quotes at all.
    size_t start = 0;
    while (true) {
      const size_t end = line.find(delimiter_, start);
      if (end == std::string_view::npos) {
        cells.push_back(trimSpaces(line.substr(start), delimiter_));
        return true;
      }
      cells.push_back(trimSpaces(line.substr(start, end - start), delimiter_));
      start = end + 1;
    }
  }
  size_t pos = 0;
  while (true) {
    const size_t column = cells.size() + 1;
    while (pos < line.size() && line[pos] == ' ') ++pos;
    if (pos < line.size() && line[pos] == '"') {
      // Quoted cell: runs to the first quote not doubled.
      const size_t begin = pos + 1;
      size_t end = begin;
      bool escaped = false;
      while (true) {
        end = line.find('"', end);
        if (end == std::string_view::npos) {
          badColumn = column;
          return false;
        }
        if (end + 1 < line.size() && line[end + 1] == '"') {
          escaped = true;
          end += 2;
          continue;
        }
        break;
      }
      std::string_view cell = line.substr(begin, end - begin);
      if (escaped) {
        std::string text;
        for (size_t i = 0; i < cell.size(); ++i) {
          text.push_back(cell[i]);
          if (cell[i] == '"') ++i;  // skip the second quote of ""
        }
        unescaped_.push_back(std::move(text));
        cell = unescaped_.back();
      }
      cells.push_back(cell);
      pos = end + 1;
      while (pos < line.size() && line[pos] == ' ') ++pos;
      if (pos == line.size()) return true;
      if (line[pos] != delimiter_) {
        badColumn = column;
        return false;
      }
      ++pos;
      continue;
    }
    const size_t end = line.find(delimiter_, pos);
    if (end == std::string_view::npos) {
      cells.push_back(trimSpaces(line.substr(pos), delimiter_));
      return true;
    }
    cells.push_back(trimSpaces(line.substr(pos, end - pos), delimiter_));
    pos = end + 1;
  }
}

char detectCsvDelimiter(std::string_view text) {
  std::vector<std::string_view> sample;
  while (!text.empty() && sample.size() < 5) {
    const size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!isBlankLine(line)) sample.push_back(line);
  }
  std::vector<std::string_view> cells;
  for (char candidate : {'\t', ';', ','}) {
    CsvLineSplitter splitter(candidate);
    bool splitsAll = !sample.empty();
    for (std::string_view line : sample) {
      size_t bad = 0;
      if (!splitter.split(line, cells, bad) || cells.size() < 2) {
        splitsAll = false;
        break;
      }
    }
    if (splitsAll) return candidate;
  }
  return ',';
}

std::string describeDelimiter(char delimiter) {
  if (delimiter == '\t') return "tab";
  return std::string("'") + delimiter + "'";
}

}  // namespace scaleout
