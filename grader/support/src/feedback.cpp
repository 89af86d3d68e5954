#include "grader/feedback.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

namespace workbook::grader {

std::ostream& operator<<(std::ostream& out, const Feedback& feedback) {
  out << "Expected: " << feedback.expected << "\nGot:      " << feedback.got;
  if (!feedback.idea.empty()) out << "\nIdea:     " << feedback.idea;
  if (!feedback.timeline.empty()) out << "\nTimeline: " << feedback.timeline;
  return out;
}

namespace {

/// `text` escaped as a C++ string literal's content.
std::string escaped(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\0': out += "\\0"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out;
}

constexpr std::size_t kShown = 60;

}  // namespace

std::string repr(const std::string& text) {
  std::string out = "\"" + escaped(std::string_view(text).substr(0, kShown)) + '"';
  if (text.size() > kShown) out += fmt::format("... ({} characters)", text.size());
  return out;
}

Mismatch mismatch(const std::string& expected, const std::string& got) {
  std::size_t first = 0;
  while (first < expected.size() && first < got.size() && expected[first] == got[first]) ++first;
  // Some context before the difference, the rest of the window after it.
  constexpr std::size_t kBefore = 20;
  const std::size_t start = first > kBefore ? first - kBefore : 0;
  const auto window = [&](const std::string& text) {
    const std::string_view shown = std::string_view(text).substr(std::min(start, text.size()), kShown);
    std::string out = (start > 0 ? "...\"" : "\"") + escaped(shown) + '"';
    if (start + shown.size() < text.size()) out += "...";
    if (start > 0 || text.size() > kShown) {
      out += fmt::format(" (from byte {} of {})", std::min(start, text.size()), text.size());
    }
    return out;
  };
  Mismatch result{window(expected), window(got)};
  if (first < expected.size() || first < got.size()) {
    const std::string at = fmt::format(", first difference at byte {}", first);
    result.got += at;
  }
  return result;
}

std::string repr(const std::optional<std::string>& text) { return text ? repr(*text) : "std::nullopt"; }

std::string repr(const std::vector<std::string>& texts) {
  std::string out = "[";
  for (std::size_t i = 0; i < texts.size(); ++i) out += (i ? ", " : "") + repr(texts[i]);
  return out + "]";
}

}  // namespace workbook::grader
