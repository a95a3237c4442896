// A readable diff of two JSON documents (FHIR resources before and after a write):
// one line per changed leaf, "+ path: value" (added), "- path: value" (removed),
// "~ path: old → new" (changed), with paths like name[0].family. `meta` is ignored
// (the server manages it). Pure function.
#pragma once

#include <string>
#include <vector>

namespace ward {

// "null" or "" stands for no document.
std::vector<std::string> JsonDiff(const std::string& before, const std::string& after);

}  // namespace ward
