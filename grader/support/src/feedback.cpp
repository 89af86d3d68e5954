#include "grader/feedback.hpp"

#include <fmt/format.h>

namespace workbook::grader {

std::ostream& operator<<(std::ostream& out, const Feedback& feedback) {
  out << "Expected: " << feedback.expected << "\nGot:      " << feedback.got;
  if (!feedback.idea.empty()) out << "\nIdea:     " << feedback.idea;
  return out;
}

std::string repr(const std::string& text) {
  constexpr std::size_t kShown = 60;
  std::string out = "\"";
  for (char c : text.substr(0, kShown)) {
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\0': out += "\\0"; break;
      default: out += c;
    }
  }
  out += '"';
  if (text.size() > kShown) out += fmt::format("... ({} characters)", text.size());
  return out;
}

std::string repr(const std::optional<std::string>& text) { return text ? repr(*text) : "std::nullopt"; }

std::string repr(const std::vector<std::string>& texts) {
  std::string out = "[";
  for (std::size_t i = 0; i < texts.size(); ++i) out += (i ? ", " : "") + repr(texts[i]);
  return out + "]";
}

}  // namespace workbook::grader
