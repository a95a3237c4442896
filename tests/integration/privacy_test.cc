// The PHI test set: sessions over every Synthea patient, through the real ward
// binary, the embedded EHR and a loopback fake OpenAI server that records every
// request. With [privacy] pseudonymise (the default with a FHIR connector), no
// captured request may hold any direct identifier of any loaded patient — every
// name, record number and other identifier, birth date, address line, city,
// postal code, phone and SSN, searched literally and in common variants — while
// the answers, re-identified on the host, stay correct. The "model" here works
// only from what it was sent: it finds the patient's token in the observation and
// writes code with it.
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "ehr_fixture.h"
#include "llm/testing/fake_llm_server.h"

namespace ward::testing {
namespace {

using nlohmann::json;

// One Synthea patient as the data files describe it, and the answer expected.
struct SyntheaPatient {
  std::string id, given, family, birth_date, phone, mrn;
  double hba1c = 0;
  std::string hba1c_date;  // YYYY-MM-DD of the latest HbA1c
};

std::vector<SyntheaPatient> LoadSyntheaPatients() {
  std::vector<SyntheaPatient> out;
  for (const auto& file : std::filesystem::directory_iterator(SharedDataDir() + "/synthea")) {
    std::ifstream in(file.path());
    json bundle = json::parse(in);
    SyntheaPatient p;
    bool is_patient = false;
    for (const json& entry : bundle["entry"]) {
      const json& r = entry["resource"];
      if (r["resourceType"] == "Patient") {
        is_patient = true;
        p.id = r["id"];
        p.given = r["name"][0]["given"][0];
        p.family = r["name"][0]["family"];
        p.birth_date = r["birthDate"];
        for (const json& t : r["telecom"])
          if (t["system"] == "phone") p.phone = t["value"];
        for (const json& id : r["identifier"])
          if (id.contains("type") && id["type"]["coding"][0]["code"] == "MR") p.mrn = id["value"];
      } else if (r["resourceType"] == "Observation" && r["code"]["coding"][0]["code"] == "4548-4") {
        std::string date = r["effectiveDateTime"].get<std::string>().substr(0, 10);
        if (date > p.hba1c_date) {
          p.hba1c_date = date;
          p.hba1c = r["valueQuantity"]["value"];
        }
      }
    }
    if (is_patient) out.push_back(p);
  }
  return out;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The direct identifiers of every Patient the EHR holds, with common variants.
std::set<std::string> IdentifiersInEhr(const std::string& url) {
  std::string base = url.substr(0, url.find("/fhir") + 5);
  std::string host = url.substr(7, url.find('/', 7) - 7);
  httplib::Client client("http://" + host);
  auto res = client.Get(base.substr(base.find("/fhir")) + "/Patient?_count=500");
  EXPECT_TRUE(res && res->status == 200);
  std::set<std::string> ids;
  auto add_date = [&](const std::string& d) {
    ids.insert(d);
    std::string y = d.substr(0, 4), m = d.substr(5, 2), day = d.substr(8, 2);
    ids.insert(m + "/" + day + "/" + y);
    ids.insert(std::to_string(std::stoi(m)) + "/" + std::to_string(std::stoi(day)) + "/" + y);
    ids.insert(y + m + day);
  };
  auto add_phone = [&](const std::string& phone) {
    ids.insert(phone);
    std::string digits;
    for (char c : phone)
      if (std::isdigit(static_cast<unsigned char>(c))) digits += c;
    ids.insert(digits);
    if (digits.size() == 10)
      ids.insert("(" + digits.substr(0, 3) + ") " + digits.substr(3, 3) + "-" + digits.substr(6));
  };
  json bundle = json::parse(res ? res->body : "{}");
  for (const json& entry : bundle.value("entry", json::array())) {
    const json& r = entry["resource"];
    ids.insert(r["id"]);
    for (const json& id : r.value("identifier", json::array())) {
      std::string v = id["value"];
      ids.insert(v);
      if (v.size() == 11 && v[3] == '-' && v[6] == '-') add_phone(v);  // SSN digits too
    }
    for (const json& n : r.value("name", json::array())) {
      std::string family = n.value("family", "");
      ids.insert(family);
      for (const json& g : n.value("given", json::array())) {
        ids.insert(g.get<std::string>());
        ids.insert(g.get<std::string>() + " " + family);
        ids.insert(family + ", " + g.get<std::string>());
      }
    }
    for (const json& t : r.value("telecom", json::array())) add_phone(t["value"]);
    for (const json& a : r.value("address", json::array())) {
      for (const json& line : a.value("line", json::array())) ids.insert(line.get<std::string>());
      ids.insert(a.value("city", ""));
      ids.insert(a.value("postalCode", ""));
    }
    for (const json& e : r.value("extension", json::array())) {
      if (e.contains("valueString")) ids.insert(e["valueString"].get<std::string>());
      if (e.contains("valueAddress")) ids.insert(e["valueAddress"].value("city", ""));
    }
    add_date(r["birthDate"]);
  }
  ids.erase("");
  return ids;
}

// Where `needle` occurs in `text` as a whole word, ignoring case.
bool ContainsWord(const std::string& text, const std::string& needle) {
  std::string t = Lower(text), n = Lower(needle);
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  for (size_t at = t.find(n); at != std::string::npos; at = t.find(n, at + 1)) {
    bool starts = at == 0 || !word(t[at - 1]) || !word(n.front());
    bool ends = at + n.size() == t.size() || !word(t[at + n.size()]) || !word(n.back());
    if (starts && ends) return true;
  }
  return false;
}

// Every text a request carried: its raw body and each message's content.
std::vector<std::string> RequestTexts(const RecordedRequest& request) {
  std::vector<std::string> texts = {request.body};
  json body = json::parse(request.body, nullptr, false);
  if (body.is_object())
    for (const json& m : body.value("messages", json::array()))
      if (m.contains("content") && m["content"].is_string()) texts.push_back(m["content"]);
  return texts;
}

// The first token of the shape `pattern` in the last message of a request.
std::string TokenIn(const RecordedRequest& request, const std::string& pattern) {
  json body = json::parse(request.body, nullptr, false);
  std::string last = body.is_object() ? body["messages"].back().value("content", "") : "";
  std::smatch m;
  return std::regex_search(last, m, std::regex(pattern)) ? m.str(0) : "";
}

FakeReply Code(const std::string& code) { return TextReply("```python\n" + code + "\n```"); }

class PrivacyTest : public EhrFixture {
 protected:
  void SetUp() override {
    EhrFixture::SetUp();
    env_["OPENAI_BASE_URL"] = server_.openai_base_url();
    env_["OPENAI_API_KEY"] = "sk-test";
  }

  // The three replies of the fake model for one patient's task (code mode).
  void ScriptCodeSession() {
    server_.Push([](const RecordedRequest&) {
      return Code(
          "ps = fhir.search('Patient', given='[[NAME_1]]', family='[[NAME_2]]', "
          "birthdate='[[DATE_1]]')\nprint(len(ps))\nfor p in ps:\n    print(p)");
    });
    server_.Push([](const RecordedRequest& r) {
      std::string patient = TokenIn(r, R"(\[\[PATIENT_\d+\]\])");
      if (patient.empty()) return TextReply("no patient token in the observation");
      return Code("labs = fhir.search('Observation', patient='" + patient +
                  "', code='http://loinc.org|4548-4', _sort='-date')\nprint(len(labs))\n"
                  "for o in labs[:3]:\n    print(o)");
    });
    server_.Push([](const RecordedRequest&) {
      return Code(
          "p = ps[0]\n"
          "mrn = [i['value'] for i in p['identifier'] if any(c.get('code') == 'MR' for c in "
          "i.get('type', {}).get('coding', []))][0]\n"
          "phone = [t['value'] for t in p['telecom'] if t['system'] == 'phone'][0]\n"
          "o = labs[0]\n"
          "print(o['effectiveDateTime'], mrn, phone)\n"
          "finish(f\"[[NAME_1]] [[NAME_2]]: HbA1c {o['valueQuantity']['value']:.1f} on "
          "{o['effectiveDateTime'][:10]}; phone {phone}; MRN {mrn}\")");
    });
  }

  std::vector<RecordedRequest> RunPhiSet(const std::string& mode);

  FakeLlmServer server_;
};

std::string Task(const SyntheaPatient& p) {
  return "Patient [[" + p.given + "]] [[" + p.family + "]], born [[" + p.birth_date +
         "]]: report the latest HbA1c with its date, their phone number and their medical "
         "record number.";
}

std::string Fixed(double v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// Runs every patient's task in `mode` and checks the answers and that no request
// held any identifier; returns the requests.
std::vector<RecordedRequest> PrivacyTest::RunPhiSet(const std::string& mode) {
  std::vector<SyntheaPatient> patients = LoadSyntheaPatients();
  EXPECT_EQ(patients.size(), 7u);
  std::set<std::string> identifiers = IdentifiersInEhr(*url_);
  EXPECT_GT(identifiers.size(), 100u);
  for (const SyntheaPatient& p : patients) {
    SCOPED_TRACE(p.given + " " + p.family);
    ScriptCodeSession();
    auto r = RunWard({"run", "--privacy", mode, "--model", "openai:gpt-test", Task(p)}, env_);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    // The answer, re-identified on the host, holds the real values.
    std::string expected = p.given + " " + p.family + ": HbA1c " + Fixed(p.hba1c) + " on " +
                           p.hba1c_date + "; phone " + p.phone + "; MRN " + p.mrn + "\n";
    EXPECT_EQ(r.out, expected);
  }
  auto requests = server_.requests();
  EXPECT_EQ(requests.size(), 3 * patients.size());
  size_t checked = 0;
  for (const RecordedRequest& request : requests) {
    for (const std::string& text : RequestTexts(request)) {
      for (const std::string& id : identifiers) {
        ++checked;
        EXPECT_FALSE(ContainsWord(text, id)) << "'" << id << "' reached the model in:\n"
                                             << text.substr(0, 3000);
      }
    }
  }
  EXPECT_GT(checked, 10000u);
  printf(
      "PHI test set (%s): %zu identifiers and variants of every patient the EHR holds, "
      "searched in %zu model requests of %zu sessions (%zu searches)\n",
      mode.c_str(), identifiers.size(), requests.size(), patients.size(), checked);
  return requests;
}

TEST_F(PrivacyTest, NoIdentifierOfAnyPatientReachesTheModelAndAnswersStayCorrect) {
  std::vector<RecordedRequest> requests = RunPhiSet("pseudonymise");
  ASSERT_EQ(requests.size(), 21u);
  std::vector<SyntheaPatient> patients = LoadSyntheaPatients();
  // The observations really carried the data, as tokens.
  EXPECT_NE(requests[1].body.find("[[PATIENT_1.mrn]]"), std::string::npos);
  EXPECT_NE(requests[2].body.find("valueQuantity"), std::string::npos);

  // Each model call's audit entry says how many values of each kind were replaced.
  auto calls = AuditEntries("model_call");
  ASSERT_EQ(calls.size(), 3 * patients.size());
  EXPECT_EQ(calls[0]["data"]["privacy"], "pseudonymise");
  EXPECT_EQ(calls[0]["data"]["substitutions"]["name"], 2);
  EXPECT_EQ(calls[0]["data"]["substitutions"]["date"], 1);
  EXPECT_GT(calls[1]["data"]["substitutions"]["identifier"].get<int>(), 0);
  for (const json& call : calls)
    EXPECT_EQ(call.dump().find(patients[0].family), std::string::npos) << "values are not audited";
}

TEST_F(PrivacyTest, StrictKeepsIdentifiersOutAndFreeTextToo) {
  std::vector<RecordedRequest> requests = RunPhiSet("strict");
  ASSERT_EQ(requests.size(), 21u);
  // The HbA1c values and codes still reach the model; the display names of the
  // race and language codings (not in the default allowed paths) do not.
  EXPECT_NE(requests[2].body.find("4548-4"), std::string::npos);
  EXPECT_EQ(requests[1].body.find("Not Hispanic or Latino"), std::string::npos);
  EXPECT_NE(requests[1].body.find("[[VALUE_"), std::string::npos);
}

TEST_F(PrivacyTest, SessionsShowRawPrintsWhatTheModelWasSent) {
  SyntheaPatient p = LoadSyntheaPatients().front();
  ScriptCodeSession();
  ASSERT_EQ(RunWard({"run", "--model", "openai:gpt-test", Task(p)}, env_).exit_code, 0);
  auto list = RunWard({"sessions", "list", "--json"}, env_);
  std::string id = json::parse(list.out)[0]["id"];
  auto shown = RunWard({"sessions", "show", id}, env_);
  auto raw = RunWard({"sessions", "show", "--raw", id}, env_);
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  EXPECT_NE(shown.out.find(p.mrn), std::string::npos) << "the host's view has real values";
  // The patient as printed by the guest, and the code as the model wrote it.
  size_t output = raw.out.find("'resourceType': 'Patient'");
  ASSERT_NE(output, std::string::npos) << raw.out;
  size_t line = raw.out.rfind('\n', output) + 1;
  std::string printed = raw.out.substr(line, raw.out.find('\n', output) - line);
  EXPECT_EQ(printed.find(p.mrn), std::string::npos) << printed;
  EXPECT_EQ(printed.find(p.family), std::string::npos) << printed;
  EXPECT_NE(raw.out.find("family='[[NAME_2]]'"), std::string::npos) << raw.out;
  EXPECT_NE(shown.out.find("family='" + p.family + "'"), std::string::npos) << shown.out;
  EXPECT_NE(raw.out.find("[[PATIENT_1.mrn]]"), std::string::npos);
  EXPECT_NE(raw.out.find("task as the model got it (privacy pseudonymise)"), std::string::npos);
}

// Routine code printing a patient the ways agents do: upper and lower case,
// day-first and abbreviated dates, E.164, a shortened and a dashless id, a
// percent-encoded identifier search, and a line so long that the observation cap
// (16 KiB: head 8 KiB) cuts it right inside the family name.
TEST_F(PrivacyTest, RoutineSpellingsOfAPatientNeverReachTheModel) {
  SyntheaPatient p = LoadSyntheaPatients().front();
  server_.Push(Code("ps = fhir.search('Patient', given='[[NAME_1]]', family='[[NAME_2]]')"));
  server_.Push(Code(
      "import datetime, urllib.parse\n"
      "p = ps[0]\nn = p['name'][0]\n"
      "print('.' * 8189 + n['family'] + '.' * 20000)\n"
      "b = datetime.date.fromisoformat(p['birthDate'])\n"
      "tel = ''.join(c for c in p['telecom'][0]['value'] if c.isdigit())\n"
      "mrn = [i['value'] for i in p['identifier'] if 'type' in i and "
      "i['type']['coding'][0]['code'] == 'MR'][0]\n"
      "print(n['family'].upper(), n['given'][0].lower(), b.strftime('%d/%m/%Y'), "
      "b.strftime('%d-%b-%Y'), b.strftime('%Y.%m.%d'), '+1' + tel, p['id'][:8], "
      "p['id'].replace('-', ''))\n"
      "print('Patient?identifier=' + urllib.parse.quote('http://hospital.org|' + mrn, safe=''))"));
  server_.Push(Code("finish('done')"));
  auto r = RunWard({"run", "--model", "openai:gpt-test", Task(p)}, env_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 3u);
  const std::string& body = requests[2].body;
  ASSERT_NE(body.find("bytes cut"), std::string::npos) << "the line was not capped";

  std::string y = p.birth_date.substr(0, 4), m = p.birth_date.substr(5, 2),
              d = p.birth_date.substr(8, 2);
  const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::string digits;
  for (char c : p.phone)
    if (std::isdigit(static_cast<unsigned char>(c))) digits += c;
  std::string dashless = p.id;
  dashless.erase(std::remove(dashless.begin(), dashless.end(), '-'), dashless.end());
  std::set<std::string> leaks = IdentifiersInEhr(*url_);
  for (const std::string& s :
       {d + "/" + m + "/" + y, d + "-" + std::string(months[std::stoi(m) - 1]) + "-" + y,
        y + "." + m + "." + d, "1" + digits, p.id.substr(0, 8), dashless})
    leaks.insert(s);
  for (const std::string& text : RequestTexts(requests[2]))
    for (const std::string& id : leaks)
      EXPECT_FALSE(ContainsWord(text, id)) << "'" << id << "' reached the model";
  // Half the family name at the cut is still the family name.
  std::string half = "." + p.family.substr(0, 3) + "\\n[...";
  EXPECT_EQ(body.find(half), std::string::npos) << "half a name reached the model";
  // The spellings were printed, and reached the model as tokens.
  EXPECT_NE(body.find("%7C[[PATIENT_1.mrn]]"), std::string::npos) << body.substr(0, 400);
  EXPECT_NE(body.find("[[PATIENT_1]] [[PATIENT_1]]"), std::string::npos);  // id[:8], dashless
  // "FAMILY given" is the name; the day-first dates are the task's date.
  EXPECT_NE(body.find("[[PATIENT_1.name]] [[DATE_1]] [[DATE_1]] [[DATE_1]] +[[PATIENT_1.phone]]"),
            std::string::npos)
      << body.substr(body.size() - 400);
}

TEST_F(PrivacyTest, ToolsModeAnswerWithTokensIsReIdentified) {
  SyntheaPatient p = LoadSyntheaPatients().front();
  server_.Push(
      ToolCallReply("run_python", json{{"code",
                                        "ps = fhir.search('Patient', family='[[NAME_2]]')\n"
                                        "print(ps[0])"}}
                                      .dump()));
  server_.Push([](const RecordedRequest& r) {
    std::string mrn = TokenIn(r, R"(\[\[PATIENT_\d+\.mrn\]\])");
    return ToolCallReply("finish", json{{"answer", "[[NAME_2]] has MRN " + mrn}}.dump());
  });
  auto r = RunWard({"run", "--mode", "tools", "--model", "openai:gpt-test", Task(p)}, env_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, p.family + " has MRN " + p.mrn + "\n");
}

TEST_F(PrivacyTest, OffSendsTheDataAsItIs) {
  SyntheaPatient p = LoadSyntheaPatients().front();
  server_.Push(Code("ps = fhir.search('Patient', family='" + p.family + "')\nprint(ps[0]['id'])"));
  server_.Push(Code("finish('done')"));
  auto r = RunWard({"run", "--privacy", "off", "--purpose", "TREAT", "--model", "openai:gpt-test",
                    "Find " + p.given + " " + p.family},
                   env_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_NE(requests[0].body.find(p.family), std::string::npos);
  EXPECT_EQ(requests[1].body.find("[[PATIENT_"), std::string::npos);
  EXPECT_EQ(AuditEntries("model_call")[0]["data"]["privacy"], "off");
  EXPECT_EQ(AuditEntries("session_start")[0]["data"]["purpose_of_use"], "TREAT");
  EXPECT_EQ(RunWard({"run", "--purpose", "TREAT PLEASE", "--model", "openai:gpt-test", "x"}, env_)
                .exit_code,
            2);
}

TEST_F(PrivacyTest, ABadIdentifierPatternIsAConfigurationError) {
  std::ofstream(home_ / "ward.toml") << "[privacy]\nidentifier_patterns = ['MRN-(\\d']\n";
  auto r = RunWard({"run", "--model", "openai:gpt-test", "x"}, env_);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("identifier pattern"), std::string::npos) << r.err;
  EXPECT_TRUE(server_.requests().empty());
}

}  // namespace
}  // namespace ward::testing
