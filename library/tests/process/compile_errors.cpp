// Programs that must not compile: each CF_ERROR_CASE_* misuses the process pool, and ctest checks
// that the compiler's message says what is wrong (Python would raise PicklingError at run time).
#include <cf/cf.hpp>
#include <stdexcept>
#include <string_view>

struct NotEncodable {};

int takes_not_encodable(NotEncodable) { return 0; }
NotEncodable returns_not_encodable() { return {}; }
void takes_mutable_reference(int&) {}
int takes_view(std::string_view) { return 0; }

void misuse(cf::ProcessPoolExecutor& pool) {
#if defined(CF_ERROR_CASE_Lambda)
  pool.submit([](int x) { return x; }, 1);
#elif defined(CF_ERROR_CASE_UnencodableArgument)
  pool.submit(takes_not_encodable, NotEncodable{});
#elif defined(CF_ERROR_CASE_UnencodableResult)
  pool.submit(returns_not_encodable);
#elif defined(CF_ERROR_CASE_MutableReference)
  int x = 0;
  pool.submit(takes_mutable_reference, x);
#elif defined(CF_ERROR_CASE_View)
  pool.submit(takes_view, "text");
#else  // the cases below misuse a registration
  (void)pool;
#endif
}

#if defined(CF_ERROR_CASE_RegisterLambda)
inline auto lambda = [](int x) { return x; };
CF_REGISTER_TASK(lambda);
#elif defined(CF_ERROR_CASE_RegisterExceptionWithoutCodec)
struct NoCodecError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
CF_REGISTER_EXCEPTION(NoCodecError);
#elif defined(CF_ERROR_CASE_RegisterFinalException)
struct FinalError final : std::runtime_error {
  using std::runtime_error::runtime_error;
};
template <>
struct cf::Codec<FinalError> : cf::MessageCodec<FinalError> {};
CF_REGISTER_EXCEPTION(FinalError);
#endif
