# Project-wide settings: language level, fast tools when present, and the warnings every target
# of ours links PRIVATE (never PUBLIC, so users of the library get no surprise flags).
set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)  # editors and clangd read build/<preset>/compile_commands.json

if(CMAKE_SOURCE_DIR STREQUAL CMAKE_BINARY_DIR)
  message(FATAL_ERROR "Build in a separate directory: cmake --preset dev")
endif()

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  # BASEDIR makes hits independent of where the checkout lives (a fresh CI clone reuses the cache).
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CMAKE_COMMAND} -E env CCACHE_BASEDIR=${CMAKE_SOURCE_DIR} ${CCACHE_PROGRAM})
endif()

find_program(MOLD_PROGRAM mold)
if(MOLD_PROGRAM)
  add_link_options(-fuse-ld=mold)  # CMake 3.25 has no CMAKE_LINKER_TYPE; g++ 12 accepts this
endif()

if(CMAKE_CXX_FLAGS MATCHES "-fsanitize=thread")
  add_compile_options(-Wno-tsan)  # g++ 12 warns on Asio's atomic_thread_fence under TSan
endif()

add_library(workbook_warnings INTERFACE)
target_compile_options(workbook_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                                   -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual
                                                   -Wno-missing-field-initializers)  # designated initializers
