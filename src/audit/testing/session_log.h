// Test-only: writes the audit entries one governed session leaves, with the data
// the gate, the session loop and rollback record (src/gate/gate.cc,
// src/core/session.cc, src/journal/rollback.cc), plus a signed checkpoint.
#pragma once

#include <string>

#include "audit/audit_log.h"
#include "audit/checkpoint.h"
#include "store/store.h"

namespace ward::testing {

inline void WriteSessionLog(AuditLog& log, Store* store, const SigningKey* key,
                            const std::string& s = "s-1") {
  auto rec = [&](const std::string& kind, const AuditData& d) {
    auto r = log.Record(s, kind, d);
    if (!r.ok()) std::abort();
  };
  AuditData start;
  start.Set("task", "count diabetic patients").Set("model", "m").Set("scripted", true);
  start.Set("mode", "act").Set("launcher", "isolate").Set("purpose_of_use", "TREAT");
  rec("session_start", start);
  AuditData model;
  model.Set("step", 1).Set("provider", "anthropic").Set("model", "m").Set("ok", true);
  model.Set("input_tokens", 100).Set("output_tokens", 20).Set("request_sha256", "ab");
  rec("model_call", model);
  AuditData code;
  code.Set("step", 1)
      .Set("code", "print(fhir.read('Patient', '42'))\n]\"")
      .Set("code_sha256", "cd");
  rec("code_action", code);
  auto call = [&](const std::string& binding, const std::string& args, bool ok,
                  const std::string& decision = "allow") {
    AuditData d;
    d.Set("binding", binding).Set("step", 1).SetJson("arguments", args);
    d.Set("decision", decision).Set("rule", "default").Set("ok", ok);
    d.Set("outcome", ok ? "ok" : "PermissionError: denied by policy");
    rec("binding_call", d);
  };
  call("fhir.read", R"({"resource_type":"Patient","id":"42"})", true);
  call("fhir.search", R"({"resource_type":"Observation","params":{"patient":"Patient/42",
      "code":"http://loinc.org|4548-4"}})",
       true);
  call("fhir.read", R"({"resource_type":"Patient","id":"../../etc"})", false, "deny");
  AuditData intent;
  intent.Set("binding", "fhir.create").Set("step", 2).SetJson("arguments", "{}");
  intent.Set("action_sha256", "ef").Set("decision", "ask").Set("rule", "writes");
  rec("binding_intent", intent);
  AuditData req;
  req.Set("approval", "ap-1").Set("hash", "ef").Set("rule", "writes").Set("summary", "create");
  rec("approval_requested", req);
  AuditData dec;
  dec.Set("approval", "ap-1").Set("decision", "approved").Set("by", "bob").Set("reason", "");
  dec.Set("hash", "ef");
  rec("approval_decided", dec);
  AuditData created;
  created.Set("binding", "fhir.create").Set("step", 2);
  created.SetJson("arguments",
                  R"({"resource":{"resourceType":"Observation","status":"final",
      "subject":{"reference":"Patient/42"},"note":[{"text":"SECRET-NOTE-TEXT"}]}})");
  created.Set("decision", "ask").Set("rule", "writes").Set("ok", true).Set("outcome", "ok");
  created.Set("approval", "ap-1").Set("intent_seq", 7).Set("intent_hash", "12");
  rec("binding_call", created);
  call("fhir.delete", R"({"resource_type":"Observation","id":"o-9"})", true);
  call(
      "fhir.transaction",
      R"({"entries":[{"request":{"method":"PUT","url":"Patient/42"},"resource":{"resourceType":"Patient","id":"42"}}]})",
      true);
  AuditData http;
  http.Set("binding", "billing.post").Set("step", 3).SetJson("arguments", "{}");
  http.Set("decision", "allow").Set("rule", "default").Set("ok", true).Set("outcome", "ok");
  http.Set("method", "POST").Set("url", "https://billing.example/claims");
  rec("binding_call", http);
  call("finish", R"({"answer":"2"})", true);
  AuditData rollback;
  rollback.Set("journal_id", 3).Set("connector", "fhir").Set("resource", "Observation/o-1");
  rollback.Set("action", "delete").Set("outcome", "undone").Set("detail", "").Set("dry_run", false);
  rec("rollback_step", rollback);
  AuditData end;
  end.Set("status", "succeeded").Set("reason", "").Set("answer_sha256", "00");
  end.Set("input_tokens", 100).Set("output_tokens", 20);
  rec("session_end", end);
  if (key) {
    auto head = store->LastAudit();
    auto signed_cp = SignCheckpoint(*key, head->seq, head->hash, "2026-11-30T04:00:00.000Z");
    if (!signed_cp.ok() || !store->AddCheckpoint(*signed_cp).ok()) std::abort();
  }
}

}  // namespace ward::testing
