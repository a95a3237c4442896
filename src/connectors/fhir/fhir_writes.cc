#include "connectors/fhir/fhir_writes.h"

#include "connectors/fhir/fhir_common.h"
#include "util/json_limits.h"

namespace ward::fhir_internal {
namespace {

std::string PatientOfReference(const json& ref) {
  if (!ref.is_object() || !ref.contains("reference") || !ref["reference"].is_string()) return "";
  std::string r = ref["reference"];
  size_t at = r.find("Patient/");
  return at == std::string::npos ? "" : r.substr(at + 8);
}

std::string PatientOfResource(const json& res) {
  if (!res.is_object()) return "";
  if (res.value("resourceType", "") == "Patient") return res.value("id", "");
  for (const char* key : {"subject", "patient", "beneficiary"})
    if (res.contains(key)) {
      std::string p = PatientOfReference(res[key]);
      if (!p.empty()) return p;
    }
  return "";
}

std::string StripPatientPrefix(const std::string& v) {
  size_t at = v.rfind("Patient/");
  return at == std::string::npos ? v : v.substr(at + 8);
}

int64_t Now(FhirWriteContext* ctx) { return ctx->clock ? ctx->clock->NowMillis() : 0; }

// Records the intent of a write before it happens. Fails closed: no journal, no write.
Result<JournalEntry> Intent(FhirClient* client, FhirWriteContext* ctx, const std::string& op,
                            const std::string& type, const std::string& id, const Current& pre,
                            const std::string& post_image) {
  if (!ctx || !ctx->store) return FailedPrecondition("writes are not journaled here; refused");
  JournalEntry j;
  j.session = ctx->session;
  j.mode = ctx->dry_run ? "dry_run" : "live";
  j.connector = "fhir";
  j.base_url = client->base_url();
  j.operation = op;
  j.resource_type = type;
  j.resource_id = id;
  j.pre_image = pre.json;
  j.pre_version = pre.version;
  j.post_image = post_image;
  j.state = ctx->dry_run ? "planned" : "intent";
  j.time_ms = Now(ctx);
  WARD_ASSIGN_OR_RETURN(j.id, ctx->store->AppendJournal(j));
  return j;
}

// Updates the journal after the write; a failure to record is reported to the guest.
void Record(FhirWriteContext* ctx, JournalEntry& j, const std::string& state,
            const std::string& detail, BindingOutcome& out) {
  j.state = state;
  j.detail = detail;
  Status s = ctx->store->UpdateJournal(j);
  if (!s.ok())
    out.reply.warnings.push_back("the journal could not record this write: " + s.message());
  out.audit.Set("journal_id", j.id).Set("journal_state", state);
}

// A dry run's answer: the resource as the server would store it.
std::string Simulated(json resource, const std::string& id, const std::string& version) {
  resource["id"] = id;
  resource["meta"]["versionId"] = version;
  return Dump(resource);
}

std::string NextVersion(const std::string& v) {
  try {
    return std::to_string(std::stoll(v) + 1);
  } catch (...) {
    return "";
  }
}

// The outcome of a write the server or the network refused, recorded as failed in
// the journal; nullopt when the write went through.
std::optional<BindingOutcome> FailedWrite(FhirWriteContext* ctx, JournalEntry& j,
                                          const Result<FhirResponse>& r) {
  if (r.ok() && r->status < 400) return std::nullopt;
  BindingOutcome out = r.ok() ? HttpFailure(*r) : TransportFailure(r.status());
  Record(ctx, j, "failed", r.ok() ? "HTTP " + std::to_string(r->status) : r.status().message(),
         out);
  return out;
}

BindingOutcome Refused(const Status& s) { return BindingFailure("PermissionDenied", s.message()); }

// After a live write: the stored resource's id and version from the response.
void FillResult(const FhirResponse& r, JournalEntry& j) {
  json body = ParseJsonOrDiscarded(r.body);
  if (body.is_object() && body.value("resourceType", "") != "OperationOutcome") {
    j.post_image = r.body;
    if (body.contains("id")) j.resource_id = body.value("id", j.resource_id);
    if (body.contains("meta")) j.post_version = body["meta"].value("versionId", "");
  }
  if (j.post_version.empty()) j.post_version = VersionFromEtag(r.etag);
}

}  // namespace

Result<Current> ReadCurrent(FhirClient* client, const std::string& type, const std::string& id) {
  WARD_ASSIGN_OR_RETURN(FhirResponse r, client->Read(type, id));
  if (r.status == 404) return Current{};
  if (r.status == 410) return Current{"", "", VersionFromEtag(r.etag)};
  if (r.status >= 400)
    return Unavailable("reading " + type + "/" + id + " before writing it: HTTP " +
                       std::to_string(r.status) + ": " + OperationOutcomeText(r.body));
  json body = ParseJsonOrDiscarded(r.body);
  std::string version = VersionFromEtag(r.etag);
  if (body.is_object() && body.contains("meta")) version = body["meta"].value("versionId", version);
  return Current{r.body, version};
}

BindingOutcome Create(FhirClient* client, FhirWriteContext* ctx, const std::string& args_json) {
  BindingOutcome failure;
  auto args = Args(args_json, "fhir.create", &failure);
  if (!args) return failure;
  if (std::string e = CheckResource(*args, "fhir.create", false); !e.empty())
    return BindingFailure("ValueError", e);
  json res = (*args)["resource"];
  std::string type = res["resourceType"];
  auto j = Intent(client, ctx, "create", type, "", {}, Dump(res));
  if (!j.ok()) return Refused(j.status());
  if (ctx->dry_run) {
    j->resource_id = "dryrun-" + std::to_string(j->id);
    j->post_version = "1";
    j->post_image = Simulated(res, j->resource_id, "1");
    BindingOutcome out = BindingValue(j->post_image);
    Record(ctx, *j, "planned", "dry run: not sent", out);
    return out;
  }
  auto r = client->Create(type, Dump(res));
  if (auto failed = FailedWrite(ctx, *j, r)) return *failed;
  FillResult(*r, *j);
  json body = ParseJsonOrDiscarded(r->body);
  BindingOutcome out = BindingValue(body.is_object() ? r->body : "null");
  out.audit = CallAudit(*r, {type + "/" + j->resource_id});
  Record(ctx, *j, "done", "", out);
  return out;
}

BindingOutcome Update(FhirClient* client, FhirWriteContext* ctx, const std::string& args_json) {
  BindingOutcome failure;
  auto args = Args(args_json, "fhir.update", &failure);
  if (!args) return failure;
  if (std::string e = CheckResource(*args, "fhir.update", true); !e.empty())
    return BindingFailure("ValueError", e);
  json res = (*args)["resource"];
  std::string type = res["resourceType"], id = res["id"];
  auto pre = ReadCurrent(client, type, id);
  if (!pre.ok()) return TransportFailure(pre.status());
  auto j = Intent(client, ctx, "update", type, id, *pre, Dump(res));
  if (!j.ok()) return Refused(j.status());
  if (ctx->dry_run) {
    j->post_version = pre->version.empty() ? "1" : NextVersion(pre->version);
    j->post_image = Simulated(res, id, j->post_version);
    BindingOutcome out = BindingValue(j->post_image);
    Record(ctx, *j, "planned", "dry run: not sent", out);
    return out;
  }
  auto r = client->Update(type, id, Dump(res), pre->version);
  if (auto failed = FailedWrite(ctx, *j, r)) return *failed;
  FillResult(*r, *j);
  BindingOutcome out = BindingValue(j->post_image.empty() ? "null" : j->post_image);
  out.audit = CallAudit(*r, {type + "/" + id});
  out.audit.Set("pre_version", pre->version).Set("post_version", j->post_version);
  Record(ctx, *j, "done", "", out);
  return out;
}

BindingOutcome Delete(FhirClient* client, FhirWriteContext* ctx, const std::string& args_json) {
  BindingOutcome failure;
  auto args = Args(args_json, "fhir.delete", &failure);
  if (!args) return failure;
  if (std::string e = CheckTypeAndId(*args, "fhir.delete", true); !e.empty())
    return BindingFailure("ValueError", e);
  std::string type = (*args)["resource_type"], id = (*args)["id"];
  auto pre = ReadCurrent(client, type, id);
  if (!pre.ok()) return TransportFailure(pre.status());
  if (pre->json.empty())
    return BindingFailure("FhirError", type + "/" + id + " does not exist (or is already deleted)");
  auto j = Intent(client, ctx, "delete", type, id, *pre, "");
  if (!j.ok()) return Refused(j.status());
  if (ctx->dry_run) {
    BindingOutcome out = BindingValue("null");
    Record(ctx, *j, "planned", "dry run: not sent", out);
    return out;
  }
  auto r = client->Delete(type, id, pre->version);
  if (auto failed = FailedWrite(ctx, *j, r)) return *failed;
  j->post_version = VersionFromEtag(r->etag);
  BindingOutcome out = BindingValue("null");
  out.audit = CallAudit(*r, {type + "/" + id});
  out.audit.Set("pre_version", pre->version);
  Record(ctx, *j, "done", "", out);
  return out;
}

BindingOutcome Transaction(FhirClient* client, FhirWriteContext* ctx,
                           const std::string& args_json) {
  BindingOutcome failure;
  auto args = Args(args_json, "fhir.transaction", &failure);
  if (!args) return failure;
  if (ctx && ctx->dry_run)
    return BindingFailure("FhirError",
                          "fhir.transaction is not available in a dry run; use fhir.create, "
                          "fhir.update and fhir.delete so each write can be recorded");
  const json& entries = args->contains("entries") ? (*args)["entries"] : json();
  json bundle;
  if (entries.is_object() && entries.value("resourceType", "") == "Bundle") {
    bundle = entries;
  } else if (entries.is_array()) {
    bundle = {{"resourceType", "Bundle"}, {"type", "transaction"}, {"entry", entries}};
  } else {
    return BindingFailure(
        "ValueError",
        "fhir.transaction(): entries must be a list of Bundle entries "
        "({'resource': ..., 'request': {'method': ..., 'url': ...}}) or a Bundle");
  }
  // Journal each entry with its pre-image (creates have none), then submit all at once.
  std::vector<JournalEntry> journal;
  for (const auto& e : bundle.value("entry", json::array())) {
    const json& req = e.value("request", json::object());
    std::string method = req.value("method", ""), url = req.value("url", "");
    std::string type = url.substr(0, url.find('/')), id;
    if (url.find('/') != std::string::npos) id = url.substr(url.find('/') + 1);
    Current pre;
    if ((method == "PUT" || method == "DELETE") && !id.empty()) {
      auto cur = ReadCurrent(client, type, id);
      if (!cur.ok()) return TransportFailure(cur.status());
      pre = *cur;
    }
    std::string op = method == "POST" ? "create" : method == "DELETE" ? "delete" : "update";
    auto j =
        Intent(client, ctx, op, type, id, pre, e.contains("resource") ? Dump(e["resource"]) : "");
    if (!j.ok()) return Refused(j.status());
    journal.push_back(*j);
  }
  auto r = client->Transaction(Dump(bundle));
  BindingOutcome out;
  bool ok = r.ok() && r->status < 400;
  out = !r.ok() ? TransportFailure(r.status()) : r->status >= 400 ? HttpFailure(*r) : out;
  json body = ok ? ParseJsonOrDiscarded(r->body) : json();
  std::vector<std::string> ids;
  const json resp_entries = body.is_object() ? body.value("entry", json::array()) : json::array();
  for (size_t i = 0; i < journal.size(); ++i) {
    if (ok && i < resp_entries.size()) {
      const json& resp = resp_entries[i].value("response", json::object());
      std::string loc = resp.value("location", "");  // Type/id/_history/v
      size_t h = loc.find("/_history/");
      std::string ref = h == std::string::npos ? loc : loc.substr(0, h);
      if (ref.find('/') != std::string::npos)
        journal[i].resource_id = ref.substr(ref.find('/') + 1);
      journal[i].post_version =
          h == std::string::npos ? VersionFromEtag(resp.value("etag", "")) : loc.substr(h + 10);
      if (resp_entries[i].contains("resource"))
        journal[i].post_image = Dump(resp_entries[i]["resource"]);
      ids.push_back(ref);
    }
    Record(ctx, journal[i], ok ? "done" : "failed", ok ? "" : "transaction refused", out);
  }
  if (!ok) return out;
  BindingOutcome done = BindingValue(body.is_object() ? r->body : "null");
  done.audit = CallAudit(*r, ids);
  done.reply.warnings = out.reply.warnings;
  return done;
}

ActionDescriptor Describe(const std::string& binding, const std::string& operation,
                          const std::string& args_json) {
  ActionDescriptor d;
  d.kind = "binding";
  d.binding = binding;
  d.connector = "fhir";
  d.operation = operation;
  json args = ParseJsonOrDiscarded(args_json);
  if (!args.is_object()) return d;
  if (args.contains("resource") && args["resource"].is_object()) {
    d.resource_type = args["resource"].value("resourceType", "");
    d.patient = PatientOfResource(args["resource"]);
  } else if (args.contains("resource_type") && args["resource_type"].is_string()) {
    d.resource_type = args["resource_type"];
    if (d.resource_type == "Patient" && args.contains("id") && args["id"].is_string())
      d.patient = args["id"];
  } else if (binding == "fhir.transaction") {
    d.resource_type = "Bundle";
  }
  const json& params = args.contains("params") ? args["params"] : json();
  if (params.is_object()) {
    for (const char* key : {"patient", "subject", "_id"}) {
      if (std::string(key) == "_id" && d.resource_type != "Patient") continue;
      if (params.contains(key) && params[key].is_string())
        d.patient = StripPatientPrefix(params[key]);
    }
  }
  return d;
}

WritePreview Preview(FhirClient* client, const std::string& binding, const std::string& args_json) {
  WritePreview p;
  json args = ParseJsonOrDiscarded(args_json);
  if (!args.is_object()) return p;
  std::string type, id;
  if (args.contains("resource") && args["resource"].is_object()) {
    p.after = Dump(args["resource"]);
    type = args["resource"].value("resourceType", "");
    id = args["resource"].value("id", "");
  } else if (args.contains("entries")) {
    p.after = Dump(args["entries"]);
  } else {
    type = args.value("resource_type", "");
    id = args.value("id", "");
  }
  if (binding != "fhir.create" && IsResourceTypeName(type) && IsFhirId(id)) {
    auto cur = ReadCurrent(client, type, id);
    if (cur.ok() && !cur->json.empty()) p.before = cur->json;
  }
  return p;
}

}  // namespace ward::fhir_internal
