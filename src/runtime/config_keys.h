// The keys ward.toml may hold, and the check that it holds no other: a misspelt
// key (`[run] max_stpes`, `require_distinct_aprover`) is an error naming the key
// and its line, never a setting silently left at its default.
//
// [[policy.rule]] tables are checked by the policy loader itself, so everything
// under `policy` is left to it. Internal to runtime/.
#pragma once

#include <toml++/toml.h>

#include <string>

#include "util/status.h"

namespace ward {

// InvalidArgument "<file>:<line>: unknown key 'run.max_stpes' ..." for the first
// key of `table` that ward does not read.
Status CheckKnownKeys(const toml::table& table, const std::string& file);

}  // namespace ward
