// `ward-bench privacy [N]`: the cost of pseudonymisation per model call — one
// observation (a Patient and three HbA1c Observations as the guest prints them,
// about 6 KB) rewritten for the model, with every Synthea patient's bundle learned
// first (the dictionary a long session builds); also learning one binding result,
// and re-identifying the model's next code.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "bench_util.h"
#include "privacy/pseudonymizer.h"
#include "util/clock.h"

namespace ward::bench {
namespace {

using nlohmann::json;

std::vector<json> SyntheaBundles() {
  std::vector<json> out;
  std::string dir = std::string(WARD_BENCH_SOURCE_DIR) + "/../shared/data/synthea";
  if (const char* env = getenv("WARD_DATA_DIR")) dir = std::string(env) + "/synthea";
  std::error_code ec;
  for (const auto& f : std::filesystem::directory_iterator(dir, ec)) {
    std::ifstream in(f.path());
    json bundle = json::parse(in, nullptr, false);
    if (bundle.is_object() && bundle.contains("entry")) out.push_back(std::move(bundle));
  }
  return out;
}

// What a guest prints after a search: the Patient and three of its HbA1c results.
std::string TypicalObservation(const json& bundle) {
  std::string text;
  int labs = 0;
  for (const json& entry : bundle["entry"]) {
    const json& r = entry["resource"];
    if (r["resourceType"] == "Patient") text += r.dump() + "\n";
    if (r["resourceType"] == "Observation" && labs < 3) {
      text += r.dump() + "\n";
      ++labs;
    }
  }
  return text;
}

}  // namespace

int RunPrivacyBench(int argc, char** argv) {
  int n = argc > 0 ? atoi(argv[0]) : 0;
  if (n <= 0) n = 2000;
  std::vector<json> bundles = SyntheaBundles();
  if (bundles.size() < 2) return fprintf(stderr, "Synthea data not found (WARD_DATA_DIR)\n"), 1;
  PrivacyOptions options;
  options.mode = PrivacyMode::kPseudonymise;
  auto p = Pseudonymizer::Create(options);
  if (!p.ok()) return fprintf(stderr, "%s\n", p.status().ToString().c_str()), 1;
  Clock* clock = SystemClock::Default();
  std::vector<double> learn_us, call_us, code_us;
  for (const json& bundle : bundles) {
    std::string text = bundle.dump();
    int64_t t0 = clock->MonotonicMicros();
    (*p)->Learn(text);
    learn_us.push_back(static_cast<double>(clock->MonotonicMicros() - t0));
  }
  std::string observation = TypicalObservation(bundles.front());
  std::string code =
      "labs = fhir.search('Observation', patient='[[PATIENT_1]]', code='http://loinc.org|4548-4')\n"
      "print('[[PATIENT_1.family]]', len(labs))\n";
  (*p)->Pseudonymise(observation);  // builds the matcher once
  size_t substitutions = 0;
  for (int i = 0; i < n; ++i) {
    SubstitutionCounts counts;
    int64_t t0 = clock->MonotonicMicros();
    std::string sent = (*p)->Pseudonymise(observation, &counts);
    int64_t t1 = clock->MonotonicMicros();
    std::string run = (*p)->ReIdentifyCode(code);
    int64_t t2 = clock->MonotonicMicros();
    substitutions = static_cast<size_t>(counts.total());
    call_us.push_back(static_cast<double>(t1 - t0));
    code_us.push_back(static_cast<double>(t2 - t1));
  }
  printf("dictionary: %zu tokens from %zu Synthea bundles\n", (*p)->known_values(), bundles.size());
  printf("learn one bundle (~%zu KB each): %s\n", bundles.front().dump().size() / 1024,
         Summary(learn_us).c_str());
  printf("pseudonymise one observation (%zu bytes, %zu substitutions): %s\n", observation.size(),
         substitutions, Summary(call_us).c_str());
  printf("re-identify the next code action: %s\n", Summary(code_us).c_str());
  return 0;
}

}  // namespace ward::bench
