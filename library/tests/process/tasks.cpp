#include "tasks.hpp"

#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <new>
#include <sstream>
#include <string_view>

#include "process_test_support.hpp"

namespace cf_test {
namespace {

/// Dies of SIGSEGV the way a real crash would, without a sanitizer's report in between.
[[noreturn]] void die_of_segfault() {
  std::signal(SIGSEGV, SIG_DFL);
  std::raise(SIGSEGV);
  std::abort();
}

void misbehave(Fault fault, const char* when) {
  switch (fault) {
    case Fault::None: return;
    case Fault::Throw: throw std::runtime_error(std::string("failed on purpose while ") + when);
    case Fault::ThrowInt: throw 42;
    case Fault::Crash: die_of_segfault();
    case Fault::Exit: std::exit(3);
  }
}

std::string greeting = "hello";  // set per worker by set_greeting

}  // namespace

int square(int x) { return x * x; }
int add(int a, int b) { return a + b; }
std::string greet(const std::string& name) { return "hello " + name; }
void do_nothing() {}
int pid_of_worker() { return static_cast<int>(::getpid()); }
Point mirror(Point p) { return {p.y, p.x}; }
double temperature_in_fahrenheit(Celsius c) { return c.degrees() * 9 / 5 + 32; }

std::map<std::string, int> count_words(const std::vector<std::string>& words) {
  std::map<std::string, int> counts;
  for (const auto& word : words) ++counts[word];
  return counts;
}

std::optional<std::pair<int, std::string>> find_first_longer_than(std::vector<std::string> words, std::size_t n) {
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (words[i].size() > n) return std::pair{static_cast<int>(i), words[i]};
  }
  return std::nullopt;
}

int six_divided_by(int x) {
  if (x == 0) throw std::domain_error("division by zero");
  return 6 / x;
}

int wait_at_gate(std::string gate, int value) {
  pass_process_gate(gate);
  return value;
}

int crash_after_gate(std::string gate) {
  pass_process_gate(gate);
  die_of_segfault();
}

int throw_named(std::string kind, std::string message) {
  if (kind == "runtime_error") throw std::runtime_error(message);
  if (kind == "invalid_argument") throw std::invalid_argument(message);
  if (kind == "out_of_range") throw std::out_of_range(message);
  if (kind == "logic_error") throw std::logic_error(message);
  if (kind == "overflow_error") throw std::overflow_error(message);
  if (kind == "bad_alloc") throw std::bad_alloc();
  if (kind == "codec_error") throw cf::CodecError(message);
  if (kind == "custom") throw CustomError(message);
  if (kind == "http") throw HttpError(503, message);
  if (kind == "not_found") throw NotFound(message);
  if (kind == "teapot") throw Teapot(message);
  if (kind == "undecodable") throw UndecodableError(message);
  if (kind == "unencodable") throw UnencodableError(message);
  if (kind == "int") throw 7;
  return 0;
}

int take_misbehaving(Misbehaving) { return 1; }
Misbehaving return_misbehaving(Fault on_encode, Fault on_decode) { return {on_encode, on_decode}; }
int crash_in_call() { die_of_segfault(); }
int exit_in_call() { std::exit(3); }

int write_garbage_to_channel() {
  constexpr std::string_view garbage = "this is not a frame";
  [[maybe_unused]] const ssize_t n = ::send(3, garbage.data(), garbage.size(), MSG_NOSIGNAL);
  return 1;
}

int write_garbage_after_gate(std::string gate) {
  pass_process_gate(gate);
  return write_garbage_to_channel();
}

int scheduling_policy() { return ::sched_getscheduler(0); }

std::pair<std::vector<int>, std::vector<int>> blocked_and_ignored_signals() {
  sigset_t mask;
  ::pthread_sigmask(SIG_BLOCK, nullptr, &mask);
  std::pair<std::vector<int>, std::vector<int>> found;
  for (int signal = 1; signal < SIGRTMIN; ++signal) {
    if (::sigismember(&mask, signal) == 1) found.first.push_back(signal);
    struct sigaction action {};
    if (::sigaction(signal, nullptr, &action) == 0 && action.sa_handler == SIG_IGN) found.second.push_back(signal);
  }
  return found;
}

void block_forever() {
  for (;;) ::pause();
}

int ignore_sigterm_and_wait_at_gate(std::string gate) {
  std::signal(SIGTERM, SIG_IGN);
  pass_process_gate(gate);
  return 0;
}

std::string process_name() { return name_of_this_process(); }

std::pair<std::uint64_t, std::uint64_t> running_image() { return image_of_this_process(); }

std::vector<int> open_descriptors() {
  std::vector<int> descriptors;
  DIR* directory = ::opendir("/proc/self/fd");
  while (const dirent* entry = ::readdir(directory)) {
    if (entry->d_name[0] == '.') continue;
    const int fd = std::atoi(entry->d_name);
    if (fd != ::dirfd(directory)) descriptors.push_back(fd);
  }
  ::closedir(directory);
  std::sort(descriptors.begin(), descriptors.end());
  return descriptors;
}

std::size_t size_of(std::string data) { return data.size(); }
std::size_t crash_with(std::string) { die_of_segfault(); }

void set_greeting(std::string new_greeting) { greeting = std::move(new_greeting); }
void fail_to_initialize() { throw std::runtime_error("no configuration found"); }
std::string greeting_for(std::string name) { return greeting + ", " + name; }

CF_REGISTER_TASK(square);
CF_REGISTER_TASK(add);
CF_REGISTER_TASK(greet);
CF_REGISTER_TASK(do_nothing);
CF_REGISTER_TASK(pid_of_worker);
CF_REGISTER_TASK(mirror);
CF_REGISTER_TASK(temperature_in_fahrenheit);
CF_REGISTER_TASK(count_words);
CF_REGISTER_TASK(find_first_longer_than);
CF_REGISTER_TASK(six_divided_by);
CF_REGISTER_TASK(wait_at_gate);
CF_REGISTER_TASK(crash_after_gate);
CF_REGISTER_TASK(throw_named);
CF_REGISTER_TASK(take_misbehaving);
CF_REGISTER_TASK(return_misbehaving);
CF_REGISTER_TASK(crash_in_call);
CF_REGISTER_TASK(exit_in_call);
CF_REGISTER_TASK(write_garbage_to_channel);
CF_REGISTER_TASK(write_garbage_after_gate);
CF_REGISTER_TASK(open_descriptors);
CF_REGISTER_TASK(scheduling_policy);
CF_REGISTER_TASK(blocked_and_ignored_signals);
CF_REGISTER_TASK(block_forever);
CF_REGISTER_TASK(ignore_sigterm_and_wait_at_gate);
CF_REGISTER_TASK(running_image);
CF_REGISTER_TASK(process_name);
CF_REGISTER_TASK(size_of);
CF_REGISTER_TASK(crash_with);
CF_REGISTER_TASK(set_greeting);
CF_REGISTER_TASK(fail_to_initialize);
CF_REGISTER_TASK(greeting_for);

CF_REGISTER_EXCEPTION(HttpError);
CF_REGISTER_EXCEPTION(NotFound);
CF_REGISTER_EXCEPTION(UndecodableError);
CF_REGISTER_EXCEPTION(UnencodableError);

}  // namespace cf_test

void cf::Codec<cf_test::Misbehaving>::encode(cf::Encoder& out, const cf_test::Misbehaving& value) {
  cf_test::misbehave(value.on_encode, "encoding");
  out.write(value.on_encode);
  out.write(value.on_decode);
}

cf_test::Misbehaving cf::Codec<cf_test::Misbehaving>::decode(cf::Decoder& in) {
  cf_test::Misbehaving value;
  value.on_encode = in.read<cf_test::Fault>();
  value.on_decode = in.read<cf_test::Fault>();
  cf_test::misbehave(value.on_decode, "decoding");
  return value;
}
