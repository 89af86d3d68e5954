// Exceptions across processes: a worker encodes the exception a task threw, the parent rebuilds
// it. Standard types come back as themselves, registered types (CF_REGISTER_EXCEPTION) through
// their Codec, anything else as a RemoteError.
//
//   encoded exception: u8 kind, string type name, string message,
//                      [string registered name, string Codec bytes]  (kind == kRegisteredType)
#include "cf/remote_exception.hpp"

#include <cxxabi.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <new>
#include <optional>
#include <stdexcept>
#include <typeindex>
#include <typeinfo>
#include <unordered_map>
#include <variant>

#include "cf/detail/future_state.hpp"
#include "process_protocol.hpp"

namespace cf::detail {
namespace {

// ---- the registry of CF_REGISTER_EXCEPTION ---------------------------------------------------

struct ExceptionRegistry {
  std::mutex mutex;
  std::unordered_map<std::string_view, ExceptionCodec> by_name;
  std::unordered_map<std::type_index, std::string_view> names;
};

ExceptionRegistry& registry() {
  static ExceptionRegistry instance;  // built on first use: registrations run before main, in any order
  return instance;
}

struct RegisteredException {
  std::string_view name;
  ExceptionCodec codec;
};

std::optional<RegisteredException> find_registered(const std::type_info& type) {
  ExceptionRegistry& exceptions = registry();
  std::lock_guard lock(exceptions.mutex);
  const auto named = exceptions.names.find(type);
  if (named == exceptions.names.end()) return std::nullopt;
  return RegisteredException{named->second, exceptions.by_name.at(named->second)};
}

std::optional<ExceptionCodec> find_registered(std::string_view name) {
  ExceptionRegistry& exceptions = registry();
  std::lock_guard lock(exceptions.mutex);
  const auto it = exceptions.by_name.find(name);
  if (it == exceptions.by_name.end()) return std::nullopt;
  return it->second;
}

[[noreturn]] void abort_registration(const std::string& problem) {
  std::fprintf(stderr, "cf: %s; the parent could not tell which exception a worker sent. Register each type once.\n",
               problem.c_str());
  std::abort();
}

// ---- the standard types ------------------------------------------------------------------------

template <class E>
std::exception_ptr rebuild_with_message(const std::string& message, const RemoteError& origin) {
  return with_origin(E(message), origin);
}
template <class E>
std::exception_ptr rebuild_default(const std::string&, const RemoteError& origin) {
  return with_origin(E(), origin);
}

struct KnownException {
  const std::type_info& type;
  std::exception_ptr (*rebuild)(const std::string& message, const RemoteError& origin);
};

/// The standard types, which come back as themselves without registration. Both processes run
/// the same executable, so an index into this table identifies a type.
const std::array kKnownExceptions{
    KnownException{typeid(std::exception), &rebuild_default<std::exception>},
    KnownException{typeid(std::logic_error), &rebuild_with_message<std::logic_error>},
    KnownException{typeid(std::invalid_argument), &rebuild_with_message<std::invalid_argument>},
    KnownException{typeid(std::domain_error), &rebuild_with_message<std::domain_error>},
    KnownException{typeid(std::length_error), &rebuild_with_message<std::length_error>},
    KnownException{typeid(std::out_of_range), &rebuild_with_message<std::out_of_range>},
    KnownException{typeid(std::runtime_error), &rebuild_with_message<std::runtime_error>},
    KnownException{typeid(std::range_error), &rebuild_with_message<std::range_error>},
    KnownException{typeid(std::overflow_error), &rebuild_with_message<std::overflow_error>},
    KnownException{typeid(std::underflow_error), &rebuild_with_message<std::underflow_error>},
    KnownException{typeid(std::bad_alloc), &rebuild_default<std::bad_alloc>},
    KnownException{typeid(std::bad_array_new_length), &rebuild_default<std::bad_array_new_length>},
    KnownException{typeid(std::bad_cast), &rebuild_default<std::bad_cast>},
    KnownException{typeid(std::bad_typeid), &rebuild_default<std::bad_typeid>},
    KnownException{typeid(std::bad_optional_access), &rebuild_default<std::bad_optional_access>},
    KnownException{typeid(std::bad_variant_access), &rebuild_default<std::bad_variant_access>},
    KnownException{typeid(std::bad_function_call), &rebuild_default<std::bad_function_call>},
    KnownException{typeid(cf::Error), &rebuild_with_message<cf::Error>},
    KnownException{typeid(cf::CodecError), &rebuild_with_message<cf::CodecError>},
    KnownException{typeid(cf::TimeoutError), &rebuild_with_message<cf::TimeoutError>},
    KnownException{typeid(cf::InvalidStateError), &rebuild_with_message<cf::InvalidStateError>},
};

constexpr std::uint8_t kRegisteredType = 0xfe;
constexpr std::uint8_t kUnknownType = 0xff;
static_assert(kKnownExceptions.size() < kRegisteredType);

std::uint8_t index_of(const std::type_info& type) {
  for (std::size_t i = 0; i < kKnownExceptions.size(); ++i) {
    if (kKnownExceptions[i].type == type) return static_cast<std::uint8_t>(i);
  }
  return kUnknownType;
}

// ---- encoding and decoding ---------------------------------------------------------------------

/// what() of the exception being handled, or its type name if it is not a std::exception.
std::string current_reason() {
  try {
    throw;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    const std::type_info* type = abi::__cxa_current_exception_type();
    return type ? demangle(type->name()) : std::string("unknown exception");
  }
}

struct EncodedException {
  std::uint8_t kind;
  std::string type_name;
  std::string message;
  std::string registered_name;  // kind == kRegisteredType only
  std::string payload;          // ditto: the bytes of its Codec
};

EncodedException read_exception(Decoder& in) {
  EncodedException e;
  e.kind = in.read<std::uint8_t>();
  e.type_name = in.read<std::string>();
  e.message = in.read<std::string>();
  if (e.kind == kRegisteredType) {
    e.registered_name = in.read<std::string>();
    e.payload = in.read<std::string>();
  }
  in.expect_end();
  return e;
}

std::exception_ptr decode_registered(const ExceptionCodec& codec, const std::string& payload,
                                     const RemoteError& origin) {
  try {
    Decoder in(payload);
    return codec.decode(in, origin);
  } catch (...) {
    return with_origin(
        CodecError("cf::ProcessPoolExecutor: could not decode the " + origin.type_name() +
                   " raised in worker process " + std::to_string(origin.pid()) + ": " + current_reason()),
        origin);
  }
}

}  // namespace

void register_exception(std::string_view name, const ExceptionCodec& codec) {
  ExceptionRegistry& exceptions = registry();
  std::lock_guard lock(exceptions.mutex);
  const auto [named, new_name] = exceptions.by_name.emplace(name, codec);
  if (!new_name && *named->second.type != *codec.type) {
    abort_registration("two different exception types are registered as \"" + std::string(name) + "\" (" +
                       demangle(named->second.type->name()) + " and " + demangle(codec.type->name()) + ")");
  }
  const auto [typed, new_type] = exceptions.names.emplace(*codec.type, named->first);
  if (!new_type && typed->second != name) {
    abort_registration(demangle(codec.type->name()) + " is registered as an exception under two names, \"" +
                       std::string(typed->second) + "\" and \"" + std::string(name) + "\"");
  }
}

void encode_current_exception(Encoder& out) {
  const std::type_info* type = abi::__cxa_current_exception_type();
  const std::string type_name = type ? demangle(type->name()) : std::string("unknown exception");
  std::uint8_t kind = kUnknownType;
  std::string message;
  try {
    throw;
  } catch (const std::exception& e) {
    kind = index_of(typeid(e));
    message = e.what();
  } catch (...) {  // not a std::exception: only its type name travels, unless it is registered
  }
  std::optional<RegisteredException> registered;
  if (kind == kUnknownType && type) registered = find_registered(*type);
  if (!registered) {
    out.write(kind);
    out.write(type_name);
    out.write(message);
    return;
  }
  std::string payload;
  try {
    Encoder payload_out(payload);
    registered->codec.encode_current(payload_out);
  } catch (...) {  // send why it could not be sent instead (a CodecError, a standard type)
    try {
      throw CodecError("cf::ProcessPoolExecutor: could not encode the " + type_name + " (" + message +
                       ") raised in the worker: " + current_reason());
    } catch (...) {
      encode_current_exception(out);
      return;
    }
  }
  out.write(kRegisteredType);
  out.write(type_name);
  out.write(message);
  out.write(std::string(registered->name));
  out.write(payload);
}

std::exception_ptr decode_exception(Decoder& in, int pid) {
  const EncodedException e = read_exception(in);
  const RemoteError origin(e.type_name, e.message, pid);
  if (e.kind < kKnownExceptions.size()) return kKnownExceptions[e.kind].rebuild(e.message, origin);
  if (e.kind == kRegisteredType) {
    // Unknown here only if the worker registered a type this process did not: it stays a RemoteError.
    if (const std::optional<ExceptionCodec> codec = find_registered(e.registered_name)) {
      return decode_registered(*codec, e.payload, origin);
    }
  }
  return std::make_exception_ptr(origin);
}

std::string describe_exception(Decoder& in) {
  const EncodedException e = read_exception(in);
  return e.message.empty() ? e.type_name : e.type_name + ": " + e.message;
}

}  // namespace cf::detail
