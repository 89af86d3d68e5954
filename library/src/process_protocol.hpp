// What the process pool and its workers say to each other, and how: frames over a Unix socket.
//
// A frame is an 8-byte header (the magic "CFP1", then the body's length) and a body whose first
// byte is its kind. The parent sends one Config frame, then Call frames; a worker answers each
// Call with a Result frame, in order, or sends InitializerFailed once and exits.
//
//   Config:            bool has_initializer, [string task, string arguments,] u32 max_tasks (0: no limit)
//   Call:              u64 id, string task, u32 count, the encoded arguments of `count` calls
//   Result:            u64 id, u8 outcome, then `count` encoded results or an encoded exception
//   InitializerFailed: an encoded exception
//
// A header with the wrong magic or an impossible length, a body that does not decode, or an
// answer nobody asked for is corrupt: the pool treats it like a crashed worker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "cf/codec.hpp"

namespace cf::detail {

/// The descriptor a worker finds its channel on (0-2 stay the program's stdio).
inline constexpr int kWorkerChannelFd = 3;
/// argv[1] of a worker process.
inline constexpr std::string_view kWorkerFlag = "--cf-process-pool-worker";
/// Exit code of a worker whose channel carried something it could not understand.
inline constexpr int kWorkerProtocolErrorExit = 3;
/// Exit code of a worker whose initializer threw.
inline constexpr int kWorkerInitializerFailedExit = 4;

enum class FrameKind : std::uint8_t { Config = 1, Call = 2, Result = 3, InitializerFailed = 4 };
enum class Outcome : std::uint8_t { Values = 0, Exception = 1 };

inline constexpr std::uint32_t kFrameMagic = 0x31504643;  // "CFP1" as little-endian bytes
inline constexpr std::size_t kFrameHeaderSize = 8;
inline constexpr std::size_t kMaxFrameBody = std::size_t{1} << 30;

/// Starts a frame of `kind` at the end of `out`; returns where it starts, for end_frame.
std::size_t begin_frame(std::string& out, FrameKind kind);
/// Writes the header of the frame started at `start`; CodecError if its body is too large.
void end_frame(std::string& out, std::size_t start);

/// One frame read from a buffer; `body` excludes the kind byte and points into the buffer.
struct Frame {
  FrameKind kind;
  std::string_view body;
};

/// Bytes read from a channel, and the frames in them.
class InboundBuffer {
 public:
  /// Room for at least `min_free` more bytes, to read into; commit() what was read.
  std::span<char> prepare(std::size_t min_free);
  void commit(std::size_t count) noexcept { end_ += count; }
  /// The next complete frame, or nullopt if more bytes are needed; CodecError if it is corrupt.
  /// The frame's body stays valid until the next prepare().
  std::optional<Frame> next_frame();
  /// True if bytes of an incomplete frame are waiting.
  bool has_partial_frame() const noexcept { return begin_ != end_; }

 private:
  std::string data_;
  std::size_t begin_ = 0;  // first byte not consumed by next_frame
  std::size_t end_ = 0;    // end of the bytes read
};

// Exceptions across processes (remote_exception.cpp).

/// Encodes the exception being handled (call inside a catch block): which standard type it is,
/// its type name and its message, and for a registered type its name and Codec bytes.
void encode_current_exception(Encoder& out);
/// Rebuilds an exception encoded by a worker: a standard or registered type with a nested
/// RemoteError, or a RemoteError; `pid` is the worker's.
std::exception_ptr decode_exception(Decoder& in, int pid);
/// "type: message" of an encoded exception, for logs.
std::string describe_exception(Decoder& in);

/// A file descriptor that closes itself.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    reset(std::exchange(other.fd_, -1));
    return *this;
  }
  ~UniqueFd() { reset(); }

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  void reset(int fd = -1) noexcept;
  /// Gives up ownership: the caller closes the descriptor.
  int release() noexcept { return std::exchange(fd_, -1); }

 private:
  int fd_ = -1;
};

/// Implemented in process_worker.cpp: serves calls on kWorkerChannelFd; returns the exit code.
int serve_as_worker();
/// True once run_worker_if_requested() has recognised this process as a worker.
bool entered_worker_mode() noexcept;

}  // namespace cf::detail
