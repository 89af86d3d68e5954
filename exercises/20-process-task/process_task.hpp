// Task for lesson 14 (process pools): a task and a Codec, so that a worker process can run it. Do
// not edit this file: the grader compiles its tests against it. Your code goes in
// process_task.cpp; README.md walks you through it.
#pragma once

#include <cf/codec.hpp>

#include <string>

namespace exercises {

/// A named piece of text, sent to a worker process.
struct Chunk {
  std::string name;
  std::string text;
};

/// What a worker sends back about a chunk.
struct Tally {
  std::string name;     ///< the chunk's name
  int words = 0;        ///< how many words (runs of non-whitespace) the text has
  std::string longest;  ///< the longest word, the first of equal length ("" when there is none)
  bool operator==(const Tally&) const = default;
};

/// Counts the words of `chunk`. A process-pool task: register it next to its definition.
Tally count_words(Chunk chunk);

}  // namespace exercises

/// A Chunk travels field by field (given).
template <>
struct cf::Codec<exercises::Chunk> : cf::FieldsCodec<&exercises::Chunk::name, &exercises::Chunk::text> {};

/// How a Tally travels back from the worker: you write these two in process_task.cpp.
template <>
struct cf::Codec<exercises::Tally> {
  /// Writes every field of `tally`.
  static void encode(cf::Encoder& out, const exercises::Tally& tally);
  /// Reads the fields back, in the order encode() wrote them.
  static exercises::Tally decode(cf::Decoder& in);
};
