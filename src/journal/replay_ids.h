// Rewriting a dry run's simulated ids when its changeset is applied live.
//
// A dry run gives what it creates simulated ids ("Patient/dryrun-3"); when the
// changeset is replayed, each create gets a real id, recorded in ReplayIds by the
// connector that made it. A later planned write in any connector — a FHIR
// reference, a SQL row value, an HTTP body — may hold the simulated id, and must
// carry the real one when it is replayed.
#pragma once
#include <nlohmann/json.hpp>

#include "journal/compensator.h"

namespace ward {

// Replaces, anywhere in `value` (object values and array items, at any depth;
// never object keys), every string that equals a reference recorded in `ids`
// ("Patient/dryrun-3") with the real reference, and every string that equals
// only its id part ("dryrun-3") with the real id part. Other strings, including
// ones that merely contain a simulated id, are left as they are.
void RewriteReplayIds(nlohmann::json& value, const ReplayIds& ids);

// The same for one string: the rewritten value, or `text` itself.
std::string RewriteReplayId(const std::string& text, const ReplayIds& ids);

}  // namespace ward
