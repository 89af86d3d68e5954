// Exception types that travel back from a process pool's worker as themselves (Python: an
// exception that pickles).
//
// What result() throws when a task threw in a worker process:
// - a type registered with CF_REGISTER_EXCEPTION: the same type, rebuilt through its cf::Codec;
// - a standard type (std::runtime_error, std::invalid_argument, ..., cf::CodecError): itself;
// - anything else: cf::RemoteError, with the worker's type name, message and pid.
// In the first two cases a cf::RemoteError is nested in the exception (std::rethrow_if_nested
// finds it), saying which worker raised it and as what type: Python's _RemoteTraceback cause.
//
//   class HttpError : public std::runtime_error {
//    public:
//     HttpError(int status, const std::string& message);
//     int status() const;
//   };
//   template <> struct cf::Codec<HttpError> {             // the fields travel: status and message
//     static void encode(cf::Encoder& out, const HttpError& e) {
//       out.write(e.status());
//       out.write(std::string(e.what()));
//     }
//     static HttpError decode(cf::Decoder& in) {
//       const int status = in.read<int>();
//       return HttpError(status, in.read<std::string>());
//     }
//   };
//   CF_REGISTER_EXCEPTION(HttpError);
//
// The rule: a registered exception travels through its Codec, like any value. For a type that
// is only its message, cf::MessageCodec writes what() and rebuilds E(message):
//   template <> struct cf::Codec<Overloaded> : cf::MessageCodec<Overloaded> {};
//
// The type thrown must itself be registered. A registered NotFound derived from HttpError comes
// back as a NotFound, so `catch (const HttpError&)` catches it; an unregistered subclass of
// HttpError comes back as cf::RemoteError (rebuilding it as its base would cut its fields off).
// Registration runs at start-up, at namespace scope like CF_REGISTER_TASK, and the name as
// written is the one the worker sends: parent and workers run the same executable, so both know
// the same names. Two types under one name, or one type under two names, stop the program with
// a message at start-up.
//
// A Codec that throws fails that call only, with cf::CodecError naming the exception (a
// RemoteError nested in it): encoding in the worker or decoding in the parent alike. The pool
// stays usable.
//
// ThreadPoolExecutor needs none of this: its tasks run in the caller's process, so their
// exceptions are stored as they are.
#pragma once

#include <exception>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include "cf/codec.hpp"
#include "cf/detail/concat.hpp"
#include "cf/exceptions.hpp"

/// Registers an exception type that comes back from a worker process as itself, at namespace
/// scope: CF_REGISTER_EXCEPTION(HttpError); The type needs a cf::Codec (checked at compile time).
#define CF_REGISTER_EXCEPTION(type)                                                            \
  [[maybe_unused]] static const bool CF_DETAIL_CONCAT(cf_registered_exception_, __COUNTER__) = \
      ::cf::detail::register_exception<type>(#type)

namespace cf {

/// A Codec for an exception that is only its message: encodes what(), decodes E(message).
template <class E>
struct MessageCodec {
  static_assert(std::is_base_of_v<std::exception, E> && std::is_constructible_v<E, std::string>,
                "cf::MessageCodec<E> needs a std::exception that can be built from its message, E(std::string)");

  static void encode(Encoder& out, const E& error) { out.write(std::string(error.what())); }
  static E decode(Decoder& in) { return E(in.read<std::string>()); }
};

}  // namespace cf

namespace cf::detail {

/// How one registered exception type crosses between processes.
struct ExceptionCodec {
  const std::type_info* type;
  /// Encodes the exception being handled, which is exactly of `type`, through its Codec.
  void (*encode_current)(Encoder& out);
  /// Decodes one and returns it thrown, with `origin` nested in it.
  std::exception_ptr (*decode)(Decoder& in, const RemoteError& origin);
};

/// Registers an exception type (at static-initialisation time, through CF_REGISTER_EXCEPTION).
/// Registering it again under the same name is harmless; a clash of names or types aborts.
void register_exception(std::string_view name, const ExceptionCodec& codec);

/// `error` thrown with `origin` nested in it: Python's exception with its _RemoteTraceback cause.
template <class E>
std::exception_ptr with_origin(E error, const RemoteError& origin) {
  try {
    throw origin;
  } catch (...) {
    try {
      std::throw_with_nested(std::move(error));
    } catch (...) {
      return std::current_exception();
    }
  }
}

template <class E>
void encode_current_exception_as(Encoder& out) {
  try {
    throw;
  } catch (const E& error) {
    out.write(error);
  }
}

template <class E>
std::exception_ptr decode_exception_as(Decoder& in, const RemoteError& origin) {
  E error = in.read<E>();
  in.expect_end();
  return with_origin(std::move(error), origin);
}

/// Static checks for a type given to CF_REGISTER_EXCEPTION; true when it qualifies.
template <class E>
constexpr bool check_exception_type() {
  constexpr bool nestable = std::is_class_v<E> && !std::is_final_v<E>;
  static_assert(nestable,
                "CF_REGISTER_EXCEPTION needs a class that is not final: the worker's cf::RemoteError is nested "
                "in the rebuilt exception (std::throw_with_nested derives from it)");
  static_assert(std::is_copy_constructible_v<E>, "CF_REGISTER_EXCEPTION needs a copyable exception type");
  static_assert(Encodable<E>,
                "CF_REGISTER_EXCEPTION needs a cf::Codec<E> specialisation to send the exception from the worker "
                "(for one that is only its message: template <> struct cf::Codec<E> : cf::MessageCodec<E> {};)");
  return nestable && std::is_copy_constructible_v<E> && Encodable<E>;
}

/// What CF_REGISTER_EXCEPTION expands to: the checks, then the registration.
template <class E>
bool register_exception(std::string_view name) {
  if constexpr (check_exception_type<E>()) {
    register_exception(name, ExceptionCodec{&typeid(E), &encode_current_exception_as<E>, &decode_exception_as<E>});
  }
  return true;
}

}  // namespace cf::detail
