// The whole cf library: Python's concurrent.futures, in C++20.
#pragma once

#include "cf/as_completed.hpp"
#include "cf/exceptions.hpp"
#include "cf/future.hpp"
#include "cf/log.hpp"
#include "cf/map.hpp"
#include "cf/thread_name.hpp"
#include "cf/thread_pool_executor.hpp"
#include "cf/wait.hpp"
