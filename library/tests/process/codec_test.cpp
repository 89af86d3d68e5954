// cf::Codec: every built-in type and both ways to opt a type in survive a round trip, and bad
// input is a CodecError, never an out-of-bounds read or a huge allocation.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tasks.hpp"

namespace {

using cf_test::Celsius;
using cf_test::Point;

template <class T>
T round_trip(const T& value) {
  std::string bytes;
  cf::Encoder out(bytes);
  out.write(value);
  cf::Decoder in(bytes);
  T decoded = in.read<T>();
  in.expect_end();
  return decoded;
}

enum class Colour : std::uint8_t { Red, Green };
struct NoCodec {};
struct Holder {
  NoCodec inside;
};

// What submit() and CF_REGISTER_TASK check at compile time.
static_assert(cf::Encodable<int> && cf::Encodable<double> && cf::Encodable<bool> && cf::Encodable<Colour>);
static_assert(cf::Encodable<std::map<std::string, std::vector<std::optional<std::pair<int, Point>>>>>);
static_assert(!cf::Encodable<NoCodec>);
static_assert(!cf::Encodable<std::vector<NoCodec>>);
static_assert(!cf::Encodable<int*>);
static_assert(!cf::Encodable<const char*>);
static_assert(!cf::Encodable<std::string_view>);
static_assert(cf::detail::check_task_call<int (*)(int), long>());
static_assert(cf::detail::check_task_call<std::string (*)(const std::string&), const char*>());

TEST(Codec, ArithmeticTypesAndEnumsRoundTrip) {
  EXPECT_EQ(round_trip(-42), -42);
  EXPECT_EQ(round_trip(std::numeric_limits<std::uint64_t>::max()), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(round_trip(2.5), 2.5);
  EXPECT_EQ(round_trip(true), true);
  EXPECT_EQ(round_trip('x'), 'x');
  EXPECT_EQ(round_trip(Colour::Green), Colour::Green);
}

TEST(Codec, StringsAndContainersRoundTrip) {
  EXPECT_EQ(round_trip(std::string()), "");
  EXPECT_EQ(round_trip(std::string("with\0zero", 9)), std::string("with\0zero", 9));
  EXPECT_EQ(round_trip(std::vector<int>{1, 2, 3}), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(round_trip(std::vector<bool>{true, false, true}), (std::vector<bool>{true, false, true}));
  EXPECT_EQ(round_trip(std::array<short, 3>{4, 5, 6}), (std::array<short, 3>{4, 5, 6}));
  const std::map<std::string, std::vector<int>> ordered{{"a", {1}}, {"b", {}}};
  EXPECT_EQ(round_trip(ordered), ordered);
  const std::unordered_map<int, std::string> hashed{{1, "one"}, {2, "two"}};
  EXPECT_EQ(round_trip(hashed), hashed);
  EXPECT_EQ(round_trip(std::set<std::string>{"x", "y"}), (std::set<std::string>{"x", "y"}));
}

TEST(Codec, OptionalsPairsAndTuplesRoundTrip) {
  EXPECT_EQ(round_trip(std::optional<int>()), std::nullopt);
  EXPECT_EQ(round_trip(std::optional<std::string>("x")), "x");
  EXPECT_EQ(round_trip(std::pair<int, std::string>(1, "one")), (std::pair<int, std::string>(1, "one")));
  const std::tuple<int, std::string, std::vector<double>> tuple{7, "seven", {7.0}};
  EXPECT_EQ(round_trip(tuple), tuple);
  EXPECT_EQ(round_trip(std::tuple<>()), std::tuple<>());
}

TEST(Codec, UserTypesOptInWithOneSpecialisation) {
  EXPECT_EQ(round_trip(Point{1.5, -2}), (Point{1.5, -2}));
  EXPECT_EQ(round_trip(Celsius(21.5)).degrees(), 21.5);
  EXPECT_EQ(round_trip(std::vector<Point>{{1, 2}, {3, 4}}), (std::vector<Point>{{1, 2}, {3, 4}}));
}

TEST(Codec, TruncatedInputIsACodecError) {
  std::string bytes;
  cf::Encoder out(bytes);
  out.write(std::string("hello"));
  for (std::size_t keep = 0; keep < bytes.size(); ++keep) {
    cf::Decoder in(std::string_view(bytes).substr(0, keep));
    EXPECT_THROW(in.read<std::string>(), cf::CodecError) << "with " << keep << " bytes";
  }
}

TEST(Codec, CorruptCountNeitherOverreadsNorAllocatesEverything) {
  std::string bytes;
  cf::Encoder out(bytes);
  out.write_size(0xFFFFFFFF);  // claims four billion elements, holds none
  cf::Decoder in(bytes);
  EXPECT_THROW(in.read<std::vector<std::uint64_t>>(), cf::CodecError);
}

TEST(Codec, LeftoverBytesAreACodecError) {
  std::string bytes;
  cf::Encoder out(bytes);
  out.write(1);
  out.write(2);
  cf::Decoder in(bytes);
  EXPECT_EQ(in.read<int>(), 1);
  EXPECT_THROW(in.expect_end(), cf::CodecError);
}

}  // namespace
