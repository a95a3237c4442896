#include "connectors/fhir/fhir_writes.h"

#include "connectors/fhir/fhir_common.h"
#include "connectors/fhir/fhir_prepare.h"
#include "journal/journal_writer.h"
#include "util/json_limits.h"

namespace ward::fhir_internal {
namespace {

// Records the intent of a write before it happens. Fails closed: no journal, no
// write (PermissionDenied for the guest).
Result<JournalEntry> Intent(FhirClient* client, JournalScope* ctx, const std::string& op,
                            const std::string& type, const std::string& id, const Current& pre,
                            const std::string& post_image) {
  if (!ctx) return GuestError("PermissionDenied", "writes are not journaled here; refused");
  JournalEntry j;
  j.connector = client->config().name;
  j.endpoint = client->base_url();
  j.operation = op;
  j.target_type = type;
  j.target_id = id;
  j.pre_image = pre.json;
  j.pre_version = pre.version;
  j.post_image = post_image;
  auto stored = JournalIntent(*ctx, std::move(j));
  if (!stored.ok()) return GuestError("PermissionDenied", stored.status().message());
  return stored;
}

void Record(JournalScope* ctx, JournalEntry& j, JournalState state, const std::string& detail,
            BindingOutcome& out) {
  JournalResult(*ctx, j, state, detail, out);
}

// A dry run's answer: the resource as the server would store it.
std::string Simulated(json resource, const std::string& id, const std::string& version) {
  resource["id"] = id;
  resource["meta"]["versionId"] = version;
  return DumpJson(resource);
}

std::string NextVersion(const std::string& v) {
  try {
    return std::to_string(std::stoll(v) + 1);
  } catch (...) {
    return "";
  }
}

// A write whose If-Match failed: the resource is no longer the version that was
// read (and shown to an approver). Nothing was written.
Status ConflictError(const FhirResponse& r) {
  return GuestError(
      "ConflictError",
      "nothing was written: the resource changed after ward read it (and after any approver saw "
      "it) — read it again and decide whether the change still applies. The server said: " +
          OperationOutcomeText(r.body));
}

// The guest's error for a write the server or the network refused; OK when it went
// through.
Status WriteError(const Result<FhirResponse>& r) {
  if (!r.ok()) return TransportError(r.status());
  if (r->status == 412) return ConflictError(*r);
  if (r->status >= 400) return HttpError(*r);
  return Status::Ok();
}

// The outcome of a write the server or the network refused (`error`, from
// WriteError), recorded as failed in the journal.
BindingOutcome FailedWrite(JournalScope* ctx, JournalEntry& j, const Status& error,
                           const Result<FhirResponse>& r) {
  BindingOutcome out = FailureOutcome(error, r.ok() ? &*r : nullptr);
  Record(ctx, j, JournalState::kFailed,
         r.ok() ? "HTTP " + std::to_string(r->status) : r.status().message(), out);
  return out;
}

// After a live write: the stored resource's id and version from the response.
void FillResult(const FhirResponse& r, JournalEntry& j) {
  json body = ParseJsonOrDiscarded(r.body);
  if (body.is_object() && body.value("resourceType", "") != "OperationOutcome") {
    j.post_image = r.body;
    if (body.contains("id")) j.target_id = body.value("id", j.target_id);
    if (body.contains("meta")) j.post_version = body["meta"].value("versionId", "");
  }
  if (j.post_version.empty()) j.post_version = VersionFromEtag(r.etag);
}

// The prepared call the gate decided on, or — called without one — prepared here.
const PreparedCall* Prepared(FhirClient* client, const char* binding, const std::string& args_json,
                             const PreparedCall* given, PreparedCall* own) {
  if (given) return given;
  *own = Prepare(client, binding, args_json);
  return own;
}

// A prepared call's refusal, as the guest gets it.
BindingOutcome RefusalOutcome(const PreparedCall& p) { return BindingOutcome{p.refusal, {}}; }

// The resource fhir.create was given, checked.
Result<json> CreateArg(const std::string& args_json) {
  WARD_ASSIGN_OR_RETURN(json args, Args(args_json, "fhir.create"));
  WARD_RETURN_IF_ERROR(CheckResource(args, "fhir.create", false));
  return args["resource"];
}

// A dry run's write: recorded as planned, answered with `value` (JSON text).
BindingOutcome Planned(JournalScope* ctx, JournalEntry& j, std::string value) {
  BindingOutcome out = BindingValue(std::move(value));
  Record(ctx, j, JournalState::kPlanned, "dry run: not sent", out);
  return out;
}

// The stored version an action was prepared on.
Current PreparedPre(const PreparedAction& a) {
  return Current{a.before == "null" ? "" : a.before, a.version};
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

BindingOutcome Create(FhirClient* client, JournalScope* ctx, const std::string& args_json) {
  auto res = CreateArg(args_json);
  if (!res.ok()) return FailureOutcome(res.status());
  std::string type = (*res)["resourceType"];
  auto j = Intent(client, ctx, "create", type, "", {}, DumpJson(*res));
  if (!j.ok()) return FailureOutcome(j.status());
  if (ctx->dry_run) {
    j->target_id = "dryrun-" + std::to_string(j->id);
    j->post_version = "1";
    j->post_image = Simulated(*res, j->target_id, "1");
    return Planned(ctx, *j, j->post_image);
  }
  auto r = client->Create(type, DumpJson(*res));
  if (Status e = WriteError(r); !e.ok()) return FailedWrite(ctx, *j, e, r);
  FillResult(*r, *j);
  json body = ParseJsonOrDiscarded(r->body);
  BindingOutcome out = BindingValue(body.is_object() ? r->body : "null");
  out.audit = CallAudit(*r, {type + "/" + j->target_id});
  Record(ctx, *j, JournalState::kDone, "", out);
  return out;
}

BindingOutcome Update(FhirClient* client, JournalScope* ctx, const std::string& args_json,
                      const PreparedCall* prepared) {
  PreparedCall own;
  const PreparedCall* p = Prepared(client, "fhir.update", args_json, prepared, &own);
  if (!p->refusal.ok) return RefusalOutcome(*p);
  json res = ParseJsonOrDiscarded(args_json)["resource"];
  std::string type = res["resourceType"], id = res["id"];
  Current pre = PreparedPre(p->actions.at(0));
  auto j = Intent(client, ctx, "update", type, id, pre, DumpJson(res));
  if (!j.ok()) return FailureOutcome(j.status());
  if (ctx->dry_run) {
    j->post_version = pre.version.empty() ? "1" : NextVersion(pre.version);
    j->post_image = Simulated(res, id, j->post_version);
    return Planned(ctx, *j, j->post_image);
  }
  auto r = client->Update(type, id, DumpJson(res), pre.version);
  if (Status e = WriteError(r); !e.ok()) return FailedWrite(ctx, *j, e, r);
  FillResult(*r, *j);
  BindingOutcome out = BindingValue(j->post_image.empty() ? "null" : j->post_image);
  out.audit = CallAudit(*r, {type + "/" + id});
  out.audit.Set("pre_version", pre.version).Set("post_version", j->post_version);
  Record(ctx, *j, JournalState::kDone, "", out);
  return out;
}

BindingOutcome Delete(FhirClient* client, JournalScope* ctx, const std::string& args_json,
                      const PreparedCall* prepared) {
  PreparedCall own;
  const PreparedCall* p = Prepared(client, "fhir.delete", args_json, prepared, &own);
  if (!p->refusal.ok) return RefusalOutcome(*p);
  json args = ParseJsonOrDiscarded(args_json);
  std::string type = args["resource_type"], id = args["id"];
  Current pre = PreparedPre(p->actions.at(0));
  if (pre.json.empty())
    return FailureOutcome(
        GuestError("FhirError", type + "/" + id + " does not exist (or is already deleted)"));
  auto j = Intent(client, ctx, "delete", type, id, pre, "");
  if (!j.ok()) return FailureOutcome(j.status());
  if (ctx->dry_run) return Planned(ctx, *j, "null");
  auto r = client->Delete(type, id, pre.version);
  if (Status e = WriteError(r); !e.ok()) return FailedWrite(ctx, *j, e, r);
  j->post_version = VersionFromEtag(r->etag);
  BindingOutcome out = BindingValue("null");
  out.audit = CallAudit(*r, {type + "/" + id});
  out.audit.Set("pre_version", pre.version);
  Record(ctx, *j, JournalState::kDone, "", out);
  return out;
}

namespace {

// A transaction's writes as journaled: journal[k] is bundle entry entry_of[k].
struct JournaledEntries {
  std::vector<JournalEntry> journal;
  std::vector<size_t> entry_of;
};

// Journals each write entry with the pre-image it was prepared (and approved) on.
Result<JournaledEntries> JournalTransaction(FhirClient* client, JournalScope* ctx,
                                            const json& entries, const PreparedCall& p) {
  JournaledEntries out;
  for (size_t i = 0; i < entries.size(); ++i) {
    const PreparedAction& a = p.actions.at(i + 1);
    if (a.descriptor.operation == "read") continue;
    std::string op = a.descriptor.binding == "fhir.create"   ? "create"
                     : a.descriptor.binding == "fhir.delete" ? "delete"
                                                             : "update";
    std::string type = a.descriptor.resource_type;
    std::string id = a.resource.find('/') == std::string::npos
                         ? ""
                         : a.resource.substr(a.resource.find('/') + 1);
    const json& e = entries[i];
    WARD_ASSIGN_OR_RETURN(JournalEntry j,
                          Intent(client, ctx, op, type, id, PreparedPre(a),
                                 e.contains("resource") ? DumpJson(e["resource"]) : ""));
    out.journal.push_back(std::move(j));
    out.entry_of.push_back(i);
  }
  return out;
}

// Fills a journaled entry from its transaction-response entry; its reference.
std::string FillEntryResult(const json& answered, JournalEntry& j) {
  const json& resp = answered.value("response", json::object());
  std::string loc = resp.value("location", "");  // Type/id/_history/v
  size_t h = loc.find("/_history/");
  std::string ref = h == std::string::npos ? loc : loc.substr(0, h);
  if (ref.find('/') != std::string::npos) j.target_id = ref.substr(ref.find('/') + 1);
  j.post_version =
      h == std::string::npos ? VersionFromEtag(resp.value("etag", "")) : loc.substr(h + 10);
  if (answered.contains("resource")) j.post_image = DumpJson(answered["resource"]);
  return ref;
}

}  // namespace

BindingOutcome Transaction(FhirClient* client, JournalScope* ctx, const std::string& args_json,
                           const PreparedCall* prepared) {
  PreparedCall own;
  const PreparedCall* p = Prepared(client, "fhir.transaction", args_json, prepared, &own);
  if (!p->refusal.ok) return RefusalOutcome(*p);
  if (ctx && ctx->dry_run)
    return FailureOutcome(GuestError("FhirError",
                                     "fhir.transaction is not available in a dry run; use "
                                     "fhir.create, fhir.update and fhir.delete so each write can "
                                     "be recorded"));
  json bundle = TransactionBundle(ParseJsonOrDiscarded(args_json), *p);
  // Journal each entry, then submit all at once; each update and delete carries
  // If-Match on the version it was prepared on.
  auto journaled = JournalTransaction(client, ctx, bundle.value("entry", json::array()), *p);
  if (!journaled.ok()) return FailureOutcome(journaled.status());
  auto r = client->Transaction(DumpJson(bundle));
  Status refused = WriteError(r);
  bool ok = refused.ok();
  BindingOutcome out = ok ? BindingOutcome{} : FailureOutcome(refused, r.ok() ? &*r : nullptr);
  json body = ok ? ParseJsonOrDiscarded(r->body) : json();
  std::vector<std::string> ids;
  const json resp_entries = body.is_object() ? body.value("entry", json::array()) : json::array();
  for (size_t k = 0; k < journaled->journal.size(); ++k) {
    JournalEntry& j = journaled->journal[k];
    size_t i = journaled->entry_of[k];
    if (ok && i < resp_entries.size()) ids.push_back(FillEntryResult(resp_entries[i], j));
    Record(ctx, j, ok ? JournalState::kDone : JournalState::kFailed,
           ok ? "" : "transaction refused", out);
  }
  if (!ok) return out;
  BindingOutcome done = BindingValue(body.is_object() ? r->body : "null");
  done.audit = CallAudit(*r, ids);
  done.reply.warnings = out.reply.warnings;
  done.unrecorded = out.unrecorded;
  return done;
}

}  // namespace ward::fhir_internal
