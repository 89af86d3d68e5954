// The whole cf library: Python's concurrent.futures, in C++20. The process pool's code is in the
// cf::process target (link it to use ProcessPoolExecutor); the Asio bridge has its own header,
// cf/asio.hpp, and target, cf::asio, so that only the programs that use Asio pay for its headers.
#pragma once

#include "cf/as_completed.hpp"
#include "cf/codec.hpp"
#include "cf/exceptions.hpp"
#include "cf/executor.hpp"
#include "cf/future.hpp"
#include "cf/log.hpp"
#include "cf/map.hpp"
#include "cf/process_pool_executor.hpp"
#include "cf/remote_exception.hpp"
#include "cf/thread_name.hpp"
#include "cf/thread_pool_executor.hpp"
#include "cf/trace.hpp"
#include "cf/wait.hpp"
