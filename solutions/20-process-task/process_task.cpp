// Task for lesson 14: a task and a Codec, so that a worker process can run it. Reference solution.
#include "process_task.hpp"

#include <cf/cf.hpp>
#include <sstream>

namespace exercises {

Tally count_words(Chunk chunk) {
  Tally tally{.name = chunk.name};
  std::istringstream text(chunk.text);
  for (std::string word; text >> word; ++tally.words) {
    if (word.size() > tally.longest.size()) tally.longest = word;
  }
  return tally;
}
// A worker receives the task's name, not its code, and finds it in the table this line fills.
CF_REGISTER_TASK(count_words);

}  // namespace exercises

// Every field, in one order both ends agree on: a field left out arrives empty in the parent.
void cf::Codec<exercises::Tally>::encode(cf::Encoder& out, const exercises::Tally& tally) {
  out.write(tally.name);
  out.write(tally.words);
  out.write(tally.longest);
}

exercises::Tally cf::Codec<exercises::Tally>::decode(cf::Decoder& in) {
  exercises::Tally tally;
  tally.name = in.read<std::string>();
  tally.words = in.read<int>();
  tally.longest = in.read<std::string>();
  return tally;
}
