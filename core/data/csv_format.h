#pragma once
// The text layer of CSV files: which delimiter a file uses and how one line splits into
// cells. Knows nothing of numbers or labels (csv_reader.cpp does). Quoted fields may hold
// the delimiter and "" escapes, but not line breaks: each line is one row.
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace scaleout {

// ',' ';' or '\t', from the first (up to 5) non-blank lines of `text`: tab, then ';',
// then ',' is taken when it splits every one of those lines into at least 2 cells.
// ';' and tab are tried first because a ';' file often holds decimal commas, while a ','
// file hardly ever holds a ';' on every line. ',' when nothing splits.
char detectCsvDelimiter(std::string_view text);

// "tab", "';'", "','" for messages.
std::string describeDelimiter(char delimiter);

class CsvLineSplitter {
 public:
  explicit CsvLineSplitter(char delimiter) : delimiter_(delimiter) {}

  // Cells of one line, trimmed of surrounding spaces, quotes removed and "" unescaped.
  // The views stay valid until the next call. Returns false, with `badColumn` (1-based),
  // when a quoted cell is not closed on the line or has text after its closing quote.
  bool split(std::string_view line, std::vector<std::string_view>& cells, size_t& badColumn);

 private:
  char delimiter_;
  std::deque<std::string> unescaped_;  // stable storage for cells that held "" escapes
};

}  // namespace scaleout
