// Op: what a frontend asks of ward (submissions). Core consumes these; JSON codecs
// live at the edges. Plain data.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "util/status.h"

namespace ward {

enum class AgentMode { kCode, kTools };

// Start an agent task. Zero / empty fields mean "use the configured default".
struct StartTaskOp {
  std::string task;
  std::string model;  // "provider:model"
  AgentMode mode = AgentMode::kCode;
  int max_steps = 20;
  int64_t max_total_tokens = 0;  // 0 = unlimited
  int64_t max_writes = 0;        // writes through connectors; 0 = unlimited
  double max_cost = 0;           // model cost, priced from [prices]; 0 = unlimited
  bool dry_run = false;          // writes are simulated and recorded in a changeset
  int64_t max_wall_ms = 0;       // 0 = unlimited
  int64_t action_timeout_ms = 30'000;
  size_t observation_cap_bytes = 16 * 1024;
  int64_t context_budget_tokens = 100'000;
  std::string now;            // ISO 8601 "current time" given to the model; empty = wall clock
  std::string workspace;      // directory the guest works in; empty = a private temp dir
  std::string actor;          // who started it, verified (OS user, or the logged-in user)
  std::string claimed_actor;  // who the starter says acts (`ward run --actor`): recorded only
  // Why the data is accessed, a code from HL7 v3 PurposeOfUse (e.g. TREAT, HPAYMT,
  // HOPERAT): audited at the session's start and exported as AuditEvent.purposeOfUse.
  std::string purpose_of_use;
};

// OK when `code` can be a purpose of use: 1-64 letters, digits, '.', '_' or '-'.
Status CheckPurposeOfUse(std::string_view code);

struct CancelOp {
  std::string session;
  std::string reason;
};

using Op = std::variant<StartTaskOp, CancelOp>;

const char* AgentModeName(AgentMode mode);

}  // namespace ward
