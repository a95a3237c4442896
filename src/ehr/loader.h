// Loading FHIR JSON files into an EhrService (for `ward ehr load` and
// `ward ehr serve --load`, and for tests).
//
// A file holding a transaction or batch Bundle is processed as one; any other
// resource is stored with PUT when it has an id and POST otherwise. Directories
// contribute their *.json files in name order, except that files whose names start
// with "hospitalInformation" or "practitionerInformation" come first (Synthea
// patient bundles refer to them). Thread-compatible: call from one thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ehr/ehr_service.h"
#include "util/status.h"

namespace ward::ehr {

struct LoadStats {
  size_t files = 0;
  size_t entries = 0;  // resources stored or bundle entries processed
  int64_t micros = 0;
};

// Expands directories; NotFound for a path that does not exist.
Result<std::vector<std::string>> ExpandLoadPaths(const std::vector<std::string>& paths);

// Loads `paths` (files or directories). Stops at the first failure, returning
// InvalidArgument (or the server's error) naming the file and the reason.
Result<LoadStats> LoadPaths(EhrService* service, const std::vector<std::string>& paths,
                            const std::string& base_url, Clock* clock = SystemClock::Default());

}  // namespace ward::ehr
