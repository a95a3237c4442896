// The fixture of the gate's end-to-end tests: an embedded EHR (EhrFixture) and the
// helpers those tests share — waiting for a pending approval, ward users, direct
// writes to the EHR as a clinician would make them, an allow-all policy home.
// Test-only.
#pragma once

#include <gtest/gtest.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include "ehr_fixture.h"

namespace ward::testing {

class GateTest : public EhrFixture {
 protected:
  using json = nlohmann::json;

  // Polls `ward approvals list --json` until one is pending; returns it.
  json WaitForPendingApproval() {
    for (int i = 0; i < 200; ++i) {
      auto r = RunWard({"approvals", "list", "--json"}, env_);
      json list = json::parse(r.out, nullptr, false);
      if (list.is_array() && !list.empty()) return list[0];
      usleep(50'000);
    }
    return json();
  }

  void WriteToml(const std::string& text) { std::ofstream(home_ / "ward.toml") << text; }

  // Adds a `ward user` with `role`; returns a file holding the password (for stdin).
  std::string AddWardUser(const std::string& name, const std::string& role) {
    std::string password = (home_ / (name + ".password")).string();
    std::ofstream(password) << name << "-password-1\n";
    auto r = RunWard({"user", "add", name, "--role", role}, env_, 60'000, password);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return password;
  }

  // The OS user running the tests, as the kernel names it.
  static std::string OsUser() {
    struct passwd* pw = getpwuid(geteuid());
    return pw && pw->pw_name ? pw->pw_name : "uid " + std::to_string(geteuid());
  }

  // A patient made through the EHR's own API (not through ward), returning its id.
  std::string CreatePatientDirectly(const std::string& family) {
    auto r = RunWard({"run", "--home", (home_ / "setup").string(), "--policy",
                      (home_ / "allow.toml").string(), "--model",
                      "scripted:" + Transcript({"p = fhir.create({'resourceType': 'Patient', "
                                                "'name': [{'family': '" +
                                                family +
                                                "'}]})\n"
                                                "finish(p['id'])"}),
                      "setup"},
                     env_);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::string id = r.out;
    if (!id.empty() && id.back() == '\n') id.pop_back();
    return id;
  }

  // Whether Patient/`id` can still be read on the EHR (through a separate ward run).
  bool PatientExists(const std::string& id) {
    auto r = RunWard({"run", "--home", (home_ / "probe").string(), "--policy",
                      (home_ / "allow.toml").string(), "--model",
                      "scripted:" + Transcript({"try:\n    fhir.read('Patient', '" + id +
                                                "')\n    finish('yes')\nexcept FhirError:\n"
                                                "    finish('no')"}),
                      "probe"},
                     env_);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out == "yes\n";
  }

  // A ward run of `code` with its own home `home` under the allow-all policy: the
  // EHR as a clinician or a setup step changes it, not through the session under test.
  ProcessResult RunAllowed(const std::string& home, const std::string& code) {
    return RunWard(
        {"run", "--home", (home_ / home).string(), "--policy", (home_ / "allow.toml").string(),
         "--model", "scripted:" + TranscriptAt(home + ".jsonl", {code}), home},
        env_);
  }

  std::string TranscriptAt(const std::string& name, const std::vector<std::string>& codes) {
    std::string path = (home_ / name).string();
    std::ofstream out(path);
    for (const auto& code : codes)
      out << json{{"content", "```python\n" + code + "\n```"}}.dump() << "\n";
    return path;
  }

  // Patient/`id` as the EHR has it now ("null" when gone).
  json ReadPatient(const std::string& id) {
    auto r =
        RunAllowed("reader", "import json\ntry:\n    finish(json.dumps(fhir.read('Patient', '" +
                                 id + "')))\nexcept FhirError:\n    finish('null')");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }

  // Runs `code` under the default policy (writes ask); once its approval is pending,
  // a clinician sets Patient/`id`'s birthDate, then a person approves what was shown.
  // Returns the run's stderr; the approval request in *pending.
  std::string ApproveAfterAClinicianEdit(const std::string& id, const std::string& code,
                                         json* pending) {
    return ApproveAfterAClinicianRuns(code,
                                      "p = fhir.read('Patient', '" + id +
                                          "')\np['birthDate'] = '1970-01-01'\n"
                                          "fhir.update(p)\nfinish('edited')",
                                      pending);
  }
  // The same with the clinician's own code (run under the allow-all policy).
  std::string ApproveAfterAClinicianRuns(const std::string& code, const std::string& clinician,
                                         json* pending) {
    WardProcess run({"run", "--model", "scripted:" + Transcript({code, "finish('done')"}), "x"},
                    env_);
    *pending = WaitForPendingApproval();
    if (!pending->is_object()) {
      run.Signal(SIGTERM);
      ADD_FAILURE() << "no approval was requested:\n" << run.Wait(10'000).err;
      return "";
    }
    auto edit = RunAllowed("clinician", clinician);
    EXPECT_EQ(edit.exit_code, 0) << edit.err;
    auto ok = RunWard({"approve", (*pending)["id"], "--hash", (*pending)["hash"]}, env_);
    EXPECT_EQ(ok.exit_code, 0) << ok.err;
    auto r = run.Wait(30'000);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.err;
  }

  void SetUp() override {
    EhrFixture::SetUp();
    std::ofstream(home_ / "allow.toml") << "[[policy.rule]]\nname = \"allow-all\"\n"
                                           "binding = \"*\"\ndecision = \"allow\"\n";
  }
};

}  // namespace ward::testing
