// The functions the process-pool tests run in worker processes (registered in tasks.cpp), and the
// types they exchange, including types whose Codec misbehaves on purpose for the crash matrix.
#pragma once

#include <cf/cf.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace cf_test {

// ---- types that travel ----------------------------------------------------------------------

/// A struct that opts in by listing its fields.
struct Point {
  double x = 0;
  double y = 0;
  friend bool operator==(const Point&, const Point&) = default;
};

/// A class with private state that opts in with hand-written encode/decode.
class Celsius {
 public:
  explicit Celsius(double degrees) : degrees_(degrees) {}
  double degrees() const noexcept { return degrees_; }

 private:
  double degrees_;
};

/// Not a std::exception subclass of a known type, and not registered: comes back as cf::RemoteError.
class CustomError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// An exception with a field of its own, registered with CF_REGISTER_EXCEPTION: comes back as
/// itself, status included (its Codec is hand-written, below).
class HttpError : public std::runtime_error {
 public:
  HttpError(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
  int status() const noexcept { return status_; }

 private:
  int status_;
};

/// Registered too, through cf::MessageCodec: caught as HttpError, it is still a NotFound.
class NotFound : public HttpError {
 public:
  explicit NotFound(const std::string& message) : HttpError(404, message) {}
};

/// Derived from a registered type but not registered itself: comes back as cf::RemoteError.
class Teapot : public HttpError {
 public:
  explicit Teapot(const std::string& message) : HttpError(418, message) {}
};

/// Registered, but its Codec's decode throws: the parent cannot rebuild it.
class UndecodableError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Registered, but its Codec's encode throws: the worker cannot send it.
class UnencodableError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// How a Misbehaving value fails when it is encoded or decoded.
enum class Fault { None, Throw, ThrowInt, Crash, Exit };

/// A value whose encode or decode throws, crashes (SIGSEGV) or calls exit(), on purpose.
struct Misbehaving {
  Fault on_encode = Fault::None;
  Fault on_decode = Fault::None;
};

// ---- tasks ----------------------------------------------------------------------------------

int square(int x);
int add(int a, int b);
std::string greet(const std::string& name);
void do_nothing();
int pid_of_worker();
Point mirror(Point p);
double temperature_in_fahrenheit(Celsius c);
std::map<std::string, int> count_words(const std::vector<std::string>& words);
std::optional<std::pair<int, std::string>> find_first_longer_than(std::vector<std::string> words, std::size_t n);
/// 6 / x; std::domain_error for 0.
int six_divided_by(int x);
/// Waits at the ProcessGate in `gate`, then returns `value`.
int wait_at_gate(std::string gate, int value);
/// Waits at the gate, then dies of SIGSEGV.
int crash_after_gate(std::string gate);

/// Throws the exception named by `kind` ("runtime_error", "invalid_argument", ..., "custom", "int",
/// "http" (status 503), "not_found", "teapot", "undecodable", "unencodable").
int throw_named(std::string kind, std::string message);

// The crash matrix (cf-semantics.md, section J).
int take_misbehaving(Misbehaving argument);
Misbehaving return_misbehaving(Fault on_encode, Fault on_decode);
int crash_in_call();
int exit_in_call();
/// Writes bytes that are not a frame into the worker's channel, then returns normally.
int write_garbage_to_channel();
/// Waits at the gate, then does what write_garbage_to_channel does.
int write_garbage_after_gate(std::string gate);
/// The descriptors open in the worker (besides the one listing them).
std::vector<int> open_descriptors();
/// The worker's scheduling policy (SCHED_OTHER, SCHED_BATCH, ...).
int scheduling_policy();
/// The signals the worker blocks, and those it ignores.
std::pair<std::vector<int>, std::vector<int>> blocked_and_ignored_signals();
/// Never returns (until the worker is killed).
void block_forever();
/// Ignores SIGTERM from now on in this worker, then waits at the gate.
int ignore_sigterm_and_wait_at_gate(std::string gate);
/// The worker's command name (/proc/self/comm, what ps and top show).
std::string process_name();
/// The device and inode of the program image the worker runs (its /proc/self/exe).
std::pair<std::uint64_t, std::uint64_t> running_image();
/// Returns the size of `data` (a large argument).
std::size_t size_of(std::string data);
/// Dies of SIGSEGV whatever its (large) argument.
std::size_t crash_with(std::string data);

// Initializers.
void set_greeting(std::string greeting);
void fail_to_initialize();
/// The greeting set by set_greeting in this worker, then `name`.
std::string greeting_for(std::string name);

}  // namespace cf_test

// Codecs for the types above: the first by listing fields, the others by hand.
template <>
struct cf::Codec<cf_test::Point> : cf::FieldsCodec<&cf_test::Point::x, &cf_test::Point::y> {};

template <>
struct cf::Codec<cf_test::Celsius> {
  static void encode(cf::Encoder& out, const cf_test::Celsius& c) { out.write(c.degrees()); }
  static cf_test::Celsius decode(cf::Decoder& in) { return cf_test::Celsius(in.read<double>()); }
};

template <>
struct cf::Codec<cf_test::HttpError> {
  static void encode(cf::Encoder& out, const cf_test::HttpError& e) {
    out.write(e.status());
    out.write(std::string(e.what()));
  }
  static cf_test::HttpError decode(cf::Decoder& in) {
    const int status = in.read<int>();
    return cf_test::HttpError(status, in.read<std::string>());
  }
};

template <>
struct cf::Codec<cf_test::NotFound> : cf::MessageCodec<cf_test::NotFound> {};

template <>
struct cf::Codec<cf_test::UndecodableError> {
  static void encode(cf::Encoder& out, const cf_test::UndecodableError& e) { out.write(std::string(e.what())); }
  static cf_test::UndecodableError decode(cf::Decoder&) { throw std::runtime_error("decoding refused on purpose"); }
};

template <>
struct cf::Codec<cf_test::UnencodableError> {
  static void encode(cf::Encoder&, const cf_test::UnencodableError&) {
    throw std::runtime_error("encoding refused on purpose");
  }
  static cf_test::UnencodableError decode(cf::Decoder& in) { return cf_test::UnencodableError(in.read<std::string>()); }
};

template <>
struct cf::Codec<cf_test::Misbehaving> {
  static void encode(cf::Encoder& out, const cf_test::Misbehaving& value);
  static cf_test::Misbehaving decode(cf::Decoder& in);
};
