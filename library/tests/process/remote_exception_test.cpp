// Exception types registered with CF_REGISTER_EXCEPTION travel back from a worker as themselves
// (Python: an exception that pickles); the rest stay cf::RemoteError (process_pool_executor_test.cpp).
#include <gtest/gtest.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

#include "process_test_support.hpp"
#include "tasks.hpp"

namespace cf_test::elsewhere {

/// Another type spelled HttpError: registering it under that name too must stop the program.
class HttpError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace cf_test::elsewhere

template <>
struct cf::Codec<cf_test::elsewhere::HttpError> : cf::MessageCodec<cf_test::elsewhere::HttpError> {};

namespace cf_test::elsewhere {

void register_a_second_type_as_http_error() { CF_REGISTER_EXCEPTION(HttpError); }

}  // namespace cf_test::elsewhere

namespace {

using namespace cf_test;

TEST(RemoteException, ARegisteredTypeComesBackAsItselfWithItsFields) {
  cf::ProcessPoolExecutor pool(1);
  const int worker = pool.submit(pid_of_worker).result(kNoHang);
  try {
    pool.submit(throw_named, "http", "service unavailable").result(kNoHang);
    ADD_FAILURE() << "no exception";
  } catch (const HttpError& e) {
    EXPECT_EQ(e.status(), 503);
    EXPECT_STREQ(e.what(), "service unavailable");
    const cf::RemoteError origin = origin_of(e);
    EXPECT_EQ(origin.pid(), worker);
    EXPECT_EQ(origin.type_name(), "cf_test::HttpError");
    EXPECT_EQ(origin.message(), "service unavailable");
  }
}

TEST(RemoteException, ARegisteredDerivedTypeIsCaughtByItsBaseAndIsStillDerived) {
  cf::ProcessPoolExecutor pool(1);
  try {
    pool.submit(throw_named, "not_found", "no such page").result(kNoHang);
    ADD_FAILURE() << "no exception";
  } catch (const HttpError& e) {
    EXPECT_NE(dynamic_cast<const NotFound*>(&e), nullptr);
    EXPECT_EQ(e.status(), 404);
    EXPECT_STREQ(e.what(), "no such page");
    EXPECT_EQ(origin_of(e).type_name(), "cf_test::NotFound");
  }
  EXPECT_THROW(pool.submit(throw_named, "not_found", "").result(kNoHang), std::runtime_error);
}

TEST(RemoteException, AnUnregisteredTypeDerivedFromARegisteredOneStaysRemoteError) {
  cf::ProcessPoolExecutor pool(1);
  try {
    pool.submit(throw_named, "teapot", "short and stout").result(kNoHang);
    ADD_FAILURE() << "no exception";
  } catch (const cf::RemoteError& e) {
    EXPECT_EQ(e.type_name(), "cf_test::Teapot");
    EXPECT_EQ(e.message(), "short and stout");
  }
}

TEST(RemoteException, MapRethrowsARegisteredTypeAtItsPosition) {
  cf::ProcessPoolExecutor pool(1);
  const std::vector<std::string> kinds{"none", "http"};
  const std::vector<std::string> messages{"", "bad gateway"};
  cf::MapResult<int> results = pool.map(throw_named, kinds, messages);
  auto it = results.begin();
  EXPECT_EQ(*it, 0);
  ++it;
  try {
    *it;
    ADD_FAILURE() << "no exception";
  } catch (const HttpError& e) {
    EXPECT_EQ(e.status(), 503);
    EXPECT_STREQ(e.what(), "bad gateway");
  }
}

TEST(RemoteException, ATypeThatCannotBeDecodedFailsOnlyItsCall) {
  cf::ProcessPoolExecutor pool(1);
  const int worker = pool.submit(pid_of_worker).result(kNoHang);
  try {
    pool.submit(throw_named, "undecodable", "lost in transit").result(kNoHang);
    ADD_FAILURE() << "no exception";
  } catch (const cf::CodecError& e) {
    const std::string expected =
        "cf::ProcessPoolExecutor: could not decode the cf_test::UndecodableError raised in "
        "worker process " +
        std::to_string(worker) + ": decoding refused on purpose";
    EXPECT_EQ(e.what(), expected);
    const cf::RemoteError origin = origin_of(e);
    EXPECT_EQ(origin.type_name(), "cf_test::UndecodableError");
    EXPECT_EQ(origin.message(), "lost in transit");
    EXPECT_EQ(origin.pid(), worker);
  }
  EXPECT_EQ(pool.submit(square, 3).result(kNoHang), 9);
  EXPECT_EQ(pool.submit(pid_of_worker).result(kNoHang), worker);
}

TEST(RemoteException, ATypeThatCannotBeEncodedFailsOnlyItsCall) {
  cf::ProcessPoolExecutor pool(1);
  const int worker = pool.submit(pid_of_worker).result(kNoHang);
  try {
    pool.submit(throw_named, "unencodable", "never sent").result(kNoHang);
    ADD_FAILURE() << "no exception";
  } catch (const cf::CodecError& e) {
    EXPECT_STREQ(e.what(),
                 "cf::ProcessPoolExecutor: could not encode the cf_test::UnencodableError (never sent) raised in "
                 "the worker: encoding refused on purpose");
    EXPECT_EQ(origin_of(e).pid(), worker);
  }
  EXPECT_EQ(pool.submit(square, 4).result(kNoHang), 16);
  EXPECT_EQ(pool.submit(pid_of_worker).result(kNoHang), worker);
}

TEST(RemoteException, AnInitializerFailingWithARegisteredTypeIsLoggedWithItsMessage) {
  LogCapture log;
  cf::ProcessPoolExecutor pool({.max_workers = 1, .initializer = {throw_named, "http", "no upstream"}});
  EXPECT_THROW(pool.submit(square, 2).result(kNoHang), cf::BrokenProcessPool);
  pool.shutdown();
  const auto records = log.records();
  ASSERT_EQ(records.size(), 1U);
  EXPECT_EQ(records[0].message, "Exception in initializer: cf_test::HttpError: no upstream");
}

TEST(RemoteExceptionDeathTest, TwoTypesRegisteredUnderOneNameStopTheProgram) {
  EXPECT_DEATH(elsewhere::register_a_second_type_as_http_error(),
               "two different exception types are registered as \"HttpError\"");
}

TEST(RemoteExceptionDeathTest, OneTypeRegisteredUnderTwoNamesStopsTheProgram) {
  EXPECT_DEATH({ CF_REGISTER_EXCEPTION(cf_test::HttpError); },
               "cf_test::HttpError is registered as an exception under two names, \"HttpError\" and "
               "\"cf_test::HttpError\"");
}

}  // namespace
