#include "grader/graded_test.hpp"

#include <map>
#include <string>
#include <utility>

namespace workbook::grader {

namespace {
using Registry = std::map<std::pair<std::string, std::string>, Grade, std::less<>>;
Registry& registry() {
  static Registry grades;  // filled during static initialisation, read-only afterwards
  return grades;
}
}  // namespace

bool register_grade(const char* suite, const char* name, Grade grade) {
  registry()[{suite, name}] = grade;
  return true;
}

const Grade* find_grade(std::string_view suite, std::string_view name) {
  auto it = registry().find(std::pair{std::string(suite), std::string(name)});
  return it == registry().end() ? nullptr : &it->second;
}

}  // namespace workbook::grader
