// Pastes two tokens after expanding them: how the registration macros (CF_REGISTER_TASK,
// CF_REGISTER_EXCEPTION) give each registration a variable of its own, named with __COUNTER__.
#pragma once

#define CF_DETAIL_CONCAT_IMPL(a, b) a##b
#define CF_DETAIL_CONCAT(a, b) CF_DETAIL_CONCAT_IMPL(a, b)
