#include "progress.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>

namespace workbook::cli {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {
constexpr int kFormatVersion = 1;
}

fs::path progress_file(const fs::path& root) { return root / ".workbook-state.json"; }

Progress Progress::load(const fs::path& file) {
  Progress progress;
  std::ifstream in(file);
  if (!in) return progress;
  try {
    const json state = json::parse(in);
    if (state.at("format_version") != kFormatVersion) throw std::runtime_error("unknown format_version");
    progress.lessons_run = state.value("lessons_run", std::set<int>{});
    const json exercises = state.value("exercises", json::object());
    for (const auto& [name, entry] : exercises.items()) {
      progress.exercises[name] = ExerciseProgress{.earned = entry.value("earned", 0),
                                                  .possible = entry.value("possible", 0),
                                                  .status = entry.value("status", "pending"),
                                                  .graded_at = entry.value("graded_at", ""),
                                                  .hints_shown = entry.value("hints_shown", 0),
                                                  .race_check = entry.value("race_check", "")};
    }
  } catch (const std::exception& error) {
    // Never lose it silently: keep the damaged file beside the fresh one.
    const fs::path kept = fs::path(file).concat(".damaged");
    fs::rename(file, kept);
    std::cerr << fmt::format("workbook: {} could not be read ({}); starting afresh, the old file is {}\n",
                             file.string(), error.what(), kept.string());
    return Progress{};
  }
  return progress;
}

void Progress::save(const fs::path& file) const {
  json exercises_json = json::object();
  for (const auto& [name, entry] : exercises) {
    exercises_json[name] = {{"earned", entry.earned},         {"possible", entry.possible},
                            {"status", entry.status},         {"graded_at", entry.graded_at},
                            {"hints_shown", entry.hints_shown}, {"race_check", entry.race_check}};
  }
  const json state = {{"format_version", kFormatVersion}, {"lessons_run", lessons_run}, {"exercises", exercises_json}};
  const fs::path temporary = fs::path(file).concat(".tmp");
  {
    std::ofstream out(temporary);
    out << state.dump(2) << '\n';
    if (!out) throw std::runtime_error("cannot write " + temporary.string());
  }
  fs::rename(temporary, file);
}

bool Progress::passed(const std::string& exercise) const {
  auto it = exercises.find(exercise);
  if (it == exercises.end() || it->second.status != "passed") return false;
  // Free of data races is part of correct, wherever ThreadSanitizer can tell.
  const std::string& race_check = it->second.race_check;
  return race_check == "clean" || race_check.starts_with("skipped");
}

}  // namespace workbook::cli
