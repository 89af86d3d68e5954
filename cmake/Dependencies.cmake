# Every external dependency, from Debian 12 packages (tools/install-deps.sh installs them).
# Nothing is downloaded at configure or build time.
find_package(Threads REQUIRED)
find_package(GTest 1.12 CONFIG REQUIRED)     # GTest::gtest, GTest::gtest_main, GTest::gmock
find_package(benchmark 1.7 CONFIG REQUIRED)  # benchmark::benchmark
find_package(Boost 1.81 CONFIG REQUIRED COMPONENTS filesystem)  # Boost::headers (Asio, Process)
