// Fuzzes the embedded EHR (`ward ehr serve`) below its HTTP adapter, over an
// in-memory store and the real FHIR R4 schema. One source, three targets chosen
// by WARD_FUZZ_EHR_MODE:
//   1 resource: the input is a resource body POSTed (or PUT, by the first byte) to a type;
//   2 bundle:   the input is a batch/transaction Bundle POSTed to the base;
//   3 search:   the input is a search query string (GET) or a _search form body (POST).
// Every input must get an answer (an OperationOutcome on error), never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "ehr/ehr_service.h"

namespace {

using namespace ward::ehr;

constexpr const char* kTypes[] = {"Patient",       "Observation",       "Encounter", "Condition",
                                  "Questionnaire", "MedicationRequest", "Bundle",    "Appointment"};
constexpr size_t kTypeCount = sizeof(kTypes) / sizeof(kTypes[0]);

struct Ehr {
  ward::ManualClock clock;
  std::unique_ptr<Store> store;
  std::unique_ptr<ResourceValidator> validator;
  std::unique_ptr<EhrService> service;
};

Ehr* TheEhr() {
  static Ehr* ehr = [] {
    auto* e = new Ehr;
    auto store = Store::Open(StoreOptions{""});
    const char* schema = std::getenv("WARD_FHIR_SCHEMA");
    auto validator = ResourceValidator::LoadFromFile(schema ? schema : WARD_FUZZ_FHIR_SCHEMA);
    if (!store.ok() || !validator.ok()) std::abort();
    e->store = std::move(*store);
    e->validator = std::move(*validator);
    EhrServiceOptions options;
    options.clock = &e->clock;
    e->service = std::make_unique<EhrService>(e->store.get(), e->validator.get(), options);
    return e;
  }();
  return ehr;
}

EhrRequest Request(const std::string& method, const std::string& path) {
  EhrRequest req;
  req.method = method;
  req.path = path;
  req.headers = {{"content-type", "application/fhir+json"}};
  req.base_url = "http://ehr.fuzz/fhir";
  return req;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  Ehr* ehr = TheEhr();
  ehr->clock.Advance(1000);
  uint8_t selector = data[0];
  std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string type = kTypes[selector % kTypeCount];
  EhrRequest req;
#if WARD_FUZZ_EHR_MODE == 1
  req = (selector & 0x80) ? Request("PUT", "/" + type + "/fuzz") : Request("POST", "/" + type);
  req.body = rest;
#elif WARD_FUZZ_EHR_MODE == 2
  req = Request("POST", "/");
  req.body = std::string(reinterpret_cast<const char*>(data), size);
#else
  if (selector & 0x80) {
    req = Request("POST", "/" + type + "/_search");
    req.headers = {{"content-type", "application/x-www-form-urlencoded"}};
    req.body = rest;
  } else {
    req = Request("GET", "/" + type);
    req.query = rest;
  }
#endif
  EhrResponse response = ehr->service->Handle(req);
  if (response.status >= 400 && response.body.find("OperationOutcome") == std::string::npos)
    std::abort();  // every error is an OperationOutcome
  return 0;
}
