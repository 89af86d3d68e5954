#include "grader/runner/manifest.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <set>
#include <stdexcept>

namespace workbook::grader {

namespace {
constexpr int kFormatVersion = 1;

template <class T>
T field(const nlohmann::json& entry, const char* key, const std::string& where) {
  if (!entry.contains(key)) throw std::runtime_error(where + ": missing \"" + key + "\"");
  try {
    return entry.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    throw std::runtime_error(where + ": \"" + key + "\" has the wrong type");
  }
}
}  // namespace

Manifest Manifest::load(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot open " + file.string());
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& error) {
    throw std::runtime_error(file.string() + " is not valid JSON: " + error.what());
  }
  const std::string where = file.filename().string();
  if (field<int>(json, "format_version", where) != kFormatVersion) {
    throw std::runtime_error(where + ": this runner reads format_version " + std::to_string(kFormatVersion));
  }
  Manifest manifest;
  manifest.welcome = json.value("welcome", "");
  for (const auto& entry : json.value("lessons", nlohmann::json::array())) {
    const std::string at = where + ", lesson " + std::to_string(manifest.lessons.size() + 1);
    manifest.lessons.push_back(Lesson{.number = field<int>(entry, "number", at),
                                      .slug = field<std::string>(entry, "slug", at),
                                      .title = field<std::string>(entry, "title", at),
                                      .program = field<std::string>(entry, "program", at),
                                      .summary = entry.value("summary", "")});
  }
  std::set<std::string> names;
  for (const auto& entry : field<nlohmann::json>(json, "exercises", where)) {
    const std::string at = where + ", exercise " + std::to_string(manifest.exercises.size() + 1);
    Exercise exercise{.name = field<std::string>(entry, "name", at),
                      .dir = field<std::string>(entry, "dir", at),
                      .title = field<std::string>(entry, "title", at),
                      .level = field<std::string>(entry, "level", at),
                      .kind = field<std::string>(entry, "kind", at),
                      .after_lesson = entry.value("after_lesson", 0),
                      .header = field<std::string>(entry, "header", at),
                      .files = field<std::vector<std::string>>(entry, "files", at),
                      .points = field<int>(entry, "points", at),
                      .concepts = entry.value("concepts", std::vector<std::string>{}),
                      .hints = entry.value("hints", std::vector<std::string>{}),
                      .number = static_cast<int>(manifest.exercises.size()) + 1};
    if (!names.insert(exercise.name).second) throw std::runtime_error(at + ": duplicate name " + exercise.name);
    if (exercise.files.empty()) throw std::runtime_error(at + ": \"files\" is empty");
    if (exercise.kind != "task" && exercise.kind != "exercise") {
      throw std::runtime_error(at + ": \"kind\" is \"" + exercise.kind + "\", not \"task\" or \"exercise\"");
    }
    manifest.exercises.push_back(std::move(exercise));
  }
  for (const auto& exercise : manifest.exercises) {
    if (exercise.after_lesson != 0 && !manifest.lesson(exercise.after_lesson)) {
      throw std::runtime_error(where + ", exercise " + exercise.name + ": no lesson " +
                               std::to_string(exercise.after_lesson) + " to come after");
    }
  }
  return manifest;
}

const Exercise* Manifest::find(std::string_view name) const {
  auto it = std::find_if(exercises.begin(), exercises.end(), [&](const Exercise& e) { return e.name == name; });
  return it == exercises.end() ? nullptr : &*it;
}

const Lesson* Manifest::lesson(int number) const {
  auto it = std::find_if(lessons.begin(), lessons.end(), [&](const Lesson& l) { return l.number == number; });
  return it == lessons.end() ? nullptr : &*it;
}

}  // namespace workbook::grader
