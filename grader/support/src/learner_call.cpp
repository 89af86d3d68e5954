#include "grader/learner_call.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>
#include <typeinfo>

namespace workbook::grader {

namespace {
std::string demangle(const char* name) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> readable(abi::__cxa_demangle(name, nullptr, nullptr, &status), std::free);
  return status == 0 && readable ? readable.get() : name;
}
}  // namespace

std::string describe_current_exception() {
  const std::type_info* type = abi::__cxa_current_exception_type();
  const std::string type_name = type ? demangle(type->name()) : "an unknown exception";
  try {
    throw;
  } catch (const std::exception& error) {
    return type_name + ": " + error.what();
  } catch (...) {
    return type_name;
  }
}

}  // namespace workbook::grader
