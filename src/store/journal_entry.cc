// The names JournalState and JournalMode are stored and shown under (store.h).
#include <array>
#include <utility>

#include "store/store.h"

namespace ward {
namespace {

constexpr std::array<std::pair<JournalState, const char*>, 6> kStates = {{
    {JournalState::kIntent, "intent"},
    {JournalState::kDone, "done"},
    {JournalState::kFailed, "failed"},
    {JournalState::kPlanned, "planned"},
    {JournalState::kCompensated, "compensated"},
    {JournalState::kApplied, "applied"},
}};
constexpr std::array<std::pair<JournalMode, const char*>, 2> kModes = {{
    {JournalMode::kLive, "live"},
    {JournalMode::kDryRun, "dry_run"},
}};

template <typename E, size_t N>
const char* NameOf(const std::array<std::pair<E, const char*>, N>& table, E value) {
  for (const auto& [e, name] : table)
    if (e == value) return name;
  return "unknown";
}

template <typename E, size_t N>
std::optional<E> ValueOf(const std::array<std::pair<E, const char*>, N>& table,
                         std::string_view name) {
  for (const auto& [e, n] : table)
    if (name == n) return e;
  return std::nullopt;
}

}  // namespace

const char* JournalStateName(JournalState state) { return NameOf(kStates, state); }
std::optional<JournalState> JournalStateFromName(std::string_view name) {
  return ValueOf(kStates, name);
}
const char* JournalModeName(JournalMode mode) { return NameOf(kModes, mode); }
std::optional<JournalMode> JournalModeFromName(std::string_view name) {
  return ValueOf(kModes, name);
}

}  // namespace ward
