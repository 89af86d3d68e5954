// cf::Codec<T>: how a value travels to a worker process and back (Python: pickle).
//
// A ProcessPoolExecutor sends a task's arguments and result as bytes. Every type that crosses
// has a Codec: built in for arithmetic types, enums, std::string, vector, array, map,
// unordered_map, set, optional, pair and tuple (nested freely); a type of yours opts in with one
// specialisation, usually listing its fields:
//
//   struct Point { double x, y; };
//   template <> struct cf::Codec<Point> : cf::FieldsCodec<&Point::x, &Point::y> {};
//
// or, for full control, with encode/decode functions:
//
//   template <> struct cf::Codec<Celsius> {
//     static void encode(cf::Encoder& out, const Celsius& c) { out.write(c.degrees()); }
//     static Celsius decode(cf::Decoder& in) { return Celsius(in.read<double>()); }
//   };
//
// A type without a Codec is not cf::Encodable, and submitting a task that takes or returns one
// fails to compile, where Python raises PicklingError at run time. Both ends run the same
// executable, so numbers travel in the machine's own representation. Decoding checks every
// length against the bytes left: truncated or corrupt input throws cf::CodecError and never
// reads out of bounds or allocates more than the input could hold.
#pragma once

#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cf/exceptions.hpp"

namespace cf {

class Encoder;
class Decoder;

/// How a T is written and read back; specialise it for your own types (see the file comment).
/// The primary template is left undefined: a type without a specialisation is not Encodable.
template <class T>
struct Codec;

/// T has a usable Codec: what a process-pool task's parameters and result must satisfy.
template <class T>
concept Encodable = requires(Encoder& out, Decoder& in, const T& value) {
  Codec<T>::encode(out, value);
  { Codec<T>::decode(in) } -> std::same_as<T>;
};

/// Appends encoded values to a byte string the caller owns.
class Encoder {
 public:
  explicit Encoder(std::string& out) noexcept : out_(&out) {}

  /// Appends `value` through its Codec.
  template <class T>
  void write(const T& value) {
    static_assert(Encodable<T>, "this type has no cf::Codec<T> specialisation (see cf/codec.hpp)");
    Codec<T>::encode(*this, value);
  }
  /// Appends raw bytes.
  void write_bytes(const void* data, std::size_t size) { out_->append(static_cast<const char*>(data), size); }
  /// Appends a length or element count; CodecError beyond 2^32 - 1.
  void write_size(std::size_t size);
  /// Bytes in the underlying string (including what was there before this encoder).
  std::size_t size() const noexcept { return out_->size(); }

 private:
  std::string* out_;
};

/// Reads encoded values from a byte string; every read is bounds-checked.
class Decoder {
 public:
  explicit Decoder(std::string_view bytes) noexcept : bytes_(bytes) {}

  /// Reads a value through its Codec.
  template <class T>
  T read() {
    static_assert(Encodable<T>, "this type has no cf::Codec<T> specialisation (see cf/codec.hpp)");
    return Codec<T>::decode(*this);
  }
  /// The next `size` raw bytes; CodecError if fewer are left.
  std::string_view read_bytes(std::size_t size);
  /// A length or element count written by Encoder::write_size.
  std::size_t read_size();
  /// Bytes not read yet.
  std::size_t remaining() const noexcept { return bytes_.size(); }
  /// CodecError unless every byte was read (a mismatch between encoder and decoder).
  void expect_end() const;

 private:
  std::string_view bytes_;
};

/// A Codec for a struct, from pointers to its data members: encodes them in order and decodes
/// into a value-initialised object. Use: template <> struct cf::Codec<P> : cf::FieldsCodec<&P::a, &P::b> {};
template <auto First, auto... Rest>
struct FieldsCodec;

// ---- implementation -------------------------------------------------------------------------

inline void Encoder::write_size(std::size_t size) {
  if (size > UINT32_MAX)
    throw CodecError("cf::Codec: a string or container of " + std::to_string(size) +
                     " elements is too large to send (the limit is 2^32 - 1)");
  const auto n = static_cast<std::uint32_t>(size);
  write_bytes(&n, sizeof n);
}

inline std::string_view Decoder::read_bytes(std::size_t size) {
  if (size > bytes_.size()) {
    throw CodecError("cf::Codec: truncated input (needed " + std::to_string(size) + " bytes, " +
                     std::to_string(bytes_.size()) + " left)");
  }
  const std::string_view taken = bytes_.substr(0, size);
  bytes_.remove_prefix(size);
  return taken;
}

inline std::size_t Decoder::read_size() {
  std::uint32_t n;
  std::memcpy(&n, read_bytes(sizeof n).data(), sizeof n);
  return n;
}

inline void Decoder::expect_end() const {
  if (!bytes_.empty()) {
    throw CodecError("cf::Codec: " + std::to_string(bytes_.size()) +
                     " unexpected bytes after the value (encoder and decoder disagree)");
  }
}

namespace detail {

/// Containers reserve at most what the remaining input could hold, so a corrupt count cannot
/// make the decoder allocate gigabytes; the element reads then fail on the truncated input.
inline std::size_t bounded_reserve(std::size_t count, const Decoder& in) { return std::min(count, in.remaining()); }

template <class Container>
void encode_elements(Encoder& out, const Container& elements) {
  out.write_size(elements.size());
  for (const auto& element : elements) out.write(element);
}

template <class Map>
void encode_map(Encoder& out, const Map& map) {
  out.write_size(map.size());
  for (const auto& [key, mapped] : map) {
    out.write(key);
    out.write(mapped);
  }
}

template <class Map>
Map decode_map(Decoder& in) {
  using Key = typename Map::key_type;
  using Mapped = typename Map::mapped_type;
  Map map;
  for (std::size_t n = in.read_size(); n > 0; --n) {
    Key key = in.read<Key>();
    map.emplace(std::move(key), in.read<Mapped>());
  }
  return map;
}

template <class M>
struct member_pointer_traits;
template <class C, class M>
struct member_pointer_traits<M C::*> {
  using Class = C;
  using Member = M;
};

}  // namespace detail

/// Numbers, bools, characters and enums: their bytes, as this machine stores them.
template <class T>
requires(std::is_arithmetic_v<T> || std::is_enum_v<T>) struct Codec<T> {
  static void encode(Encoder& out, const T& value) { out.write_bytes(&value, sizeof value); }
  static T decode(Decoder& in) {
    T value;
    std::memcpy(&value, in.read_bytes(sizeof value).data(), sizeof value);
    return value;
  }
};

template <>
struct Codec<std::string> {
  static void encode(Encoder& out, const std::string& value) {
    out.write_size(value.size());
    out.write_bytes(value.data(), value.size());
  }
  static std::string decode(Decoder& in) { return std::string(in.read_bytes(in.read_size())); }
};

template <Encodable T>
struct Codec<std::vector<T>> {
  static void encode(Encoder& out, const std::vector<T>& value) { detail::encode_elements(out, value); }
  static std::vector<T> decode(Decoder& in) {
    const std::size_t n = in.read_size();
    std::vector<T> value;
    value.reserve(detail::bounded_reserve(n, in));
    for (std::size_t i = 0; i < n; ++i) value.push_back(in.read<T>());
    return value;
  }
};

template <Encodable T, std::size_t N>
struct Codec<std::array<T, N>> {
  static void encode(Encoder& out, const std::array<T, N>& value) {
    for (const auto& element : value) out.write(element);
  }
  static std::array<T, N> decode(Decoder& in) {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return std::array<T, N>{((void)I, in.read<T>())...};  // braced list: evaluated in order
    }
    (std::make_index_sequence<N>{});
  }
};

template <Encodable K, Encodable V, class Compare, class Allocator>
struct Codec<std::map<K, V, Compare, Allocator>> {
  using Map = std::map<K, V, Compare, Allocator>;
  static void encode(Encoder& out, const Map& value) { detail::encode_map(out, value); }
  static Map decode(Decoder& in) { return detail::decode_map<Map>(in); }
};

template <Encodable K, Encodable V, class Hash, class Equal, class Allocator>
struct Codec<std::unordered_map<K, V, Hash, Equal, Allocator>> {
  using Map = std::unordered_map<K, V, Hash, Equal, Allocator>;
  static void encode(Encoder& out, const Map& value) { detail::encode_map(out, value); }
  static Map decode(Decoder& in) { return detail::decode_map<Map>(in); }
};

template <Encodable T, class Compare, class Allocator>
struct Codec<std::set<T, Compare, Allocator>> {
  using Set = std::set<T, Compare, Allocator>;
  static void encode(Encoder& out, const Set& value) { detail::encode_elements(out, value); }
  static Set decode(Decoder& in) {
    Set value;
    for (std::size_t n = in.read_size(); n > 0; --n) value.insert(value.end(), in.read<T>());
    return value;
  }
};

template <Encodable T>
struct Codec<std::optional<T>> {
  static void encode(Encoder& out, const std::optional<T>& value) {
    out.write(value.has_value());
    if (value) out.write(*value);
  }
  static std::optional<T> decode(Decoder& in) {
    if (!in.read<bool>()) return std::nullopt;
    return in.read<T>();
  }
};

template <Encodable A, Encodable B>
struct Codec<std::pair<A, B>> {
  static void encode(Encoder& out, const std::pair<A, B>& value) {
    out.write(value.first);
    out.write(value.second);
  }
  static std::pair<A, B> decode(Decoder& in) {
    A first = in.read<A>();
    return {std::move(first), in.read<B>()};
  }
};

template <Encodable... T>
struct Codec<std::tuple<T...>> {
  static void encode(Encoder& out, const std::tuple<T...>& value) {
    std::apply([&](const auto&... element) { (out.write(element), ...); }, value);
  }
  static std::tuple<T...> decode(Decoder& in) {
    return std::tuple<T...>{in.read<T>()...};  // braced list: evaluated left to right
  }
};

template <auto First, auto... Rest>
struct FieldsCodec {
  using Class = typename detail::member_pointer_traits<decltype(First)>::Class;
  static_assert((std::is_same_v<typename detail::member_pointer_traits<decltype(Rest)>::Class, Class> && ...),
                "cf::FieldsCodec: every pointer must name a data member of the same struct");
  static_assert(std::is_default_constructible_v<Class>,
                "cf::FieldsCodec decodes into a default-constructed object; give the type a default "
                "constructor or write Codec<T>::encode/decode yourself");

  static void encode(Encoder& out, const Class& value) {
    out.write(value.*First);
    (out.write(value.*Rest), ...);
  }
  static Class decode(Decoder& in) {
    Class value{};
    read_into<First>(in, value);
    (read_into<Rest>(in, value), ...);
    return value;
  }

 private:
  template <auto Member>
  static void read_into(Decoder& in, Class& value) {
    using Field = typename detail::member_pointer_traits<decltype(Member)>::Member;
    value.*Member = in.read<Field>();
  }
};

}  // namespace cf
