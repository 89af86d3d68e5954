# Every external dependency, from Debian 12 packages (tools/install-deps.sh installs them).
# Nothing is downloaded at configure or build time.
find_package(Threads REQUIRED)
find_package(GTest 1.12 CONFIG REQUIRED)     # GTest::gtest, GTest::gtest_main, GTest::gmock
find_package(benchmark 1.7 CONFIG REQUIRED)  # benchmark::benchmark
find_package(Boost 1.81 CONFIG REQUIRED COMPONENTS filesystem)  # Boost::headers (Asio, Process)
find_package(nlohmann_json 3.11 CONFIG REQUIRED)  # nlohmann_json::nlohmann_json
find_package(fmt 9 CONFIG REQUIRED)                # fmt::fmt
find_package(CLI11 2.1 CONFIG REQUIRED)            # CLI11::CLI11 (slow to compile: one .cpp per program)
# Debian's cpp-httplib ships only a .pc file. Its flags (-DCPPHTTPLIB_*_SUPPORT) change the ABI, so
# always link this target, never -lcpp-httplib alone.
find_package(Python3 3.9 REQUIRED COMPONENTS Interpreter)  # the workbook command's end-to-end tests
find_package(PkgConfig REQUIRED)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET GLOBAL cpp-httplib>=0.11)
add_library(httplib::httplib ALIAS PkgConfig::HTTPLIB)
