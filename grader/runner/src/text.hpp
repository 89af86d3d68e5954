// Small text helpers the runner's sources share: splitting output into lines, taking some of them
// back, replacing. Private to the runner (src/), not part of its interface.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace workbook::grader::text {

/// The lines of `text`, without their line ends ("\n" or "\r\n"); views into `text`.
inline std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const auto end = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, end);
    if (line.ends_with('\r')) line.remove_suffix(1);
    lines.push_back(line);
    text.remove_prefix(std::min(end + 1, text.size()));
  }
  return lines;
}

/// Lines [first, first + count) of `lines`, each ended by "\n".
inline std::string join(const std::vector<std::string_view>& lines, std::size_t first, std::size_t count) {
  std::string out;
  for (std::size_t i = first; i < std::min(lines.size(), first + count); ++i) (out += lines[i]) += '\n';
  return out;
}

/// The last `count` lines of `text`.
inline std::string tail(std::string_view text, std::size_t count) {
  const auto lines = lines_of(text);
  return join(lines, lines.size() > count ? lines.size() - count : 0, count);
}

/// `text` with every occurrence of `from` replaced by `to`.
inline std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

}  // namespace workbook::grader::text
