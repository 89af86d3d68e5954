// Task for lesson 1: download every page on a pool, errors included. Replace the TODOs with
// code; the task is in README.md. Grade it with: tools/workbook grade download_all
#include "download_all.hpp"

#include <cf/cf.hpp>
#include <stdexcept>

namespace exercises {

Downloads download_all([[maybe_unused]] const std::vector<std::string>& urls, [[maybe_unused]] const Fetch& fetch,
                       [[maybe_unused]] int max_workers) {
  // TODO: make a cf::ThreadPoolExecutor of max_workers threads and submit fetch for every URL,
  //       remembering which URL each future belongs to.
  // TODO: for each future, put its result() in pages; if result() throws, put the exception's
  //       what() in errors instead.
  throw std::logic_error("download_all() is not implemented yet");
}

}  // namespace exercises
