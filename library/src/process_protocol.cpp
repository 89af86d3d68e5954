#include "process_protocol.hpp"

#include <cxxabi.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <new>
#include <optional>
#include <stdexcept>
#include <typeinfo>
#include <variant>

#include "cf/detail/future_state.hpp"
#include "cf/exceptions.hpp"

namespace cf::detail {

std::size_t begin_frame(std::string& out, FrameKind kind) {
  const std::size_t start = out.size();
  out.append(kFrameHeaderSize, '\0');
  out.push_back(static_cast<char>(kind));
  return start;
}

void end_frame(std::string& out, std::size_t start) {
  const std::size_t body = out.size() - start - kFrameHeaderSize;
  if (body > kMaxFrameBody) {
    throw CodecError("cf::ProcessPoolExecutor: a message of " + std::to_string(body) +
                     " bytes is larger than the limit of " + std::to_string(kMaxFrameBody) + " bytes");
  }
  const auto length = static_cast<std::uint32_t>(body);
  std::memcpy(out.data() + start, &kFrameMagic, sizeof kFrameMagic);
  std::memcpy(out.data() + start + sizeof kFrameMagic, &length, sizeof length);
}

std::span<char> InboundBuffer::prepare(std::size_t min_free) {
  if (begin_ == end_) begin_ = end_ = 0;
  if (data_.size() - end_ < min_free) {
    if (begin_ > 0) {  // move the partial frame to the front before growing
      std::memmove(data_.data(), data_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (data_.size() - end_ < min_free) data_.resize(end_ + min_free);
  }
  return {data_.data() + end_, data_.size() - end_};
}

std::optional<Frame> InboundBuffer::next_frame() {
  const std::size_t available = end_ - begin_;
  if (available < kFrameHeaderSize) return std::nullopt;
  const char* header = data_.data() + begin_;
  std::uint32_t magic;
  std::uint32_t length;
  std::memcpy(&magic, header, sizeof magic);
  std::memcpy(&length, header + sizeof magic, sizeof length);
  if (magic != kFrameMagic) throw CodecError("corrupt frame: bad magic number");
  if (length == 0 || length > kMaxFrameBody) {
    throw CodecError("corrupt frame: impossible length " + std::to_string(length));
  }
  if (available - kFrameHeaderSize < length) return std::nullopt;
  const auto kind = static_cast<FrameKind>(header[kFrameHeaderSize]);
  begin_ += kFrameHeaderSize + length;
  return Frame{kind, std::string_view(header + kFrameHeaderSize + 1, length - 1)};
}

void UniqueFd::reset(int fd) noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

// ---- exceptions across processes ------------------------------------------------------------

namespace {

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

/// The types that come back as themselves; anything else comes back as a RemoteError. Both
/// processes run the same executable, so an index into this table identifies a type.
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

constexpr std::uint8_t kUnknownType = 0xff;
static_assert(kKnownExceptions.size() < kUnknownType);

std::uint8_t index_of(const std::type_info& type) {
  for (std::size_t i = 0; i < kKnownExceptions.size(); ++i) {
    if (kKnownExceptions[i].type == type) return static_cast<std::uint8_t>(i);
  }
  return kUnknownType;
}

struct EncodedException {
  std::uint8_t index;
  std::string type_name;
  std::string message;
};

EncodedException read_exception(Decoder& in) {
  EncodedException e;
  e.index = in.read<std::uint8_t>();
  e.type_name = in.read<std::string>();
  e.message = in.read<std::string>();
  in.expect_end();
  return e;
}

}  // namespace

void encode_current_exception(Encoder& out) {
  const std::type_info* type = abi::__cxa_current_exception_type();
  std::uint8_t index = kUnknownType;
  std::string message;
  try {
    throw;
  } catch (const std::exception& e) {
    index = index_of(typeid(e));
    message = e.what();
  } catch (...) {  // not a std::exception: only its type name travels
  }
  out.write(index);
  out.write(type ? demangle(type->name()) : std::string("unknown exception"));
  out.write(message);
}

std::exception_ptr decode_exception(Decoder& in, int pid) {
  EncodedException e = read_exception(in);
  RemoteError origin(std::move(e.type_name), e.message, pid);
  if (e.index < kKnownExceptions.size()) return kKnownExceptions[e.index].rebuild(e.message, origin);
  return std::make_exception_ptr(std::move(origin));
}

std::string describe_exception(Decoder& in) {
  const EncodedException e = read_exception(in);
  return e.message.empty() ? e.type_name : e.type_name + ": " + e.message;
}

}  // namespace cf::detail
