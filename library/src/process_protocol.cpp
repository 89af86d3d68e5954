#include "process_protocol.hpp"

#include <unistd.h>

#include <cstring>
#include <optional>

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

}  // namespace cf::detail
