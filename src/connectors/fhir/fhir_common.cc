#include "connectors/fhir/fhir_common.h"

#include "util/hash.h"
#include "util/json_limits.h"

namespace ward::fhir_internal {

AuditData CallAudit(const FhirResponse& r, const std::vector<std::string>& ids) {
  AuditData a;
  a.Set("method", r.method).Set("url", r.url).Set("http_status", r.status);
  a.SetStrings("resource_ids", ids);
  a.Set("body_sha256", Sha256Hex(r.body));
  return a;
}

std::string ResourceRef(const json& resource) {
  if (!resource.is_object()) return "";
  return resource.value("resourceType", "") + "/" + resource.value("id", "");
}

namespace {

struct GuestCode {
  const char* type;
  StatusCode code;
};
constexpr GuestCode kGuestCodes[] = {
    {"ValueError", StatusCode::kInvalidArgument},
    {"TypeError", StatusCode::kUnimplemented},
    {"BindingError", StatusCode::kNotFound},
    {"FhirError", StatusCode::kUnavailable},
    {"ConflictError", StatusCode::kFailedPrecondition},
    {"PermissionDenied", StatusCode::kPermissionDenied},
};

}  // namespace

Status GuestError(const std::string& type, std::string message) {
  for (const auto& g : kGuestCodes)
    if (type == g.type) return Status(g.code, std::move(message));
  return Status(StatusCode::kUnavailable, std::move(message));
}

std::string GuestTypeOf(const Status& s) {
  for (const auto& g : kGuestCodes)
    if (s.code() == g.code) return g.type;
  return "FhirError";
}

BindingOutcome FailureOutcome(const Status& s, const FhirResponse* answered) {
  BindingOutcome out = BindingFailure(GuestTypeOf(s), s.message());
  if (answered && answered->status >= 400) {
    out.audit = CallAudit(*answered, {});
    out.stale = s.code() == StatusCode::kFailedPrecondition;
  }
  return out;
}

PreparedCall RefusedCall(const Status& s) {
  PreparedCall p;
  p.refusal = GuestCallReply{false, "", GuestTypeOf(s), s.message()};
  return p;
}

Result<json> ParseBody(const FhirResponse& r) {
  json body = ParseJsonOrDiscarded(r.body);
  if (body.is_discarded())
    return GuestError("FhirError", "the FHIR server answered " + r.method + " " + r.url +
                                       " with a body that is not JSON");
  return body;
}

Status HttpError(const FhirResponse& r) {
  return GuestError("FhirError", "HTTP " + std::to_string(r.status) + " from " + r.method + " " +
                                     r.url + ": " + OperationOutcomeText(r.body));
}

Status TransportError(const Status& s) {
  return GuestError("FhirError", "the FHIR server could not be reached: " + s.message());
}

Result<FhirResponse> Answered(Result<FhirResponse> r, FhirResponse* seen) {
  if (!r.ok()) return TransportError(r.status());
  *seen = *r;
  if (r->status >= 400) return HttpError(*r);
  return std::move(r).value();
}

Result<json> Args(const std::string& args_json, const char* binding) {
  json args = ParseJsonOrDiscarded(args_json);
  if (args.is_discarded() || !args.is_object())
    return GuestError("TypeError", std::string(binding) + "(): malformed arguments");
  return args;
}

Status CheckTypeAndId(const json& args, const char* binding, bool with_id) {
  const json& type = args.contains("resource_type") ? args["resource_type"] : json();
  if (!type.is_string() || !IsResourceTypeName(type.get<std::string>()))
    return GuestError("ValueError", std::string(binding) +
                                        "(): resource_type must be a FHIR resource type such as "
                                        "'Patient', got " +
                                        DumpJson(type));
  if (!with_id) return Status::Ok();
  const json& id = args.contains("id") ? args["id"] : json();
  if (!id.is_string() || !IsFhirId(id.get<std::string>()))
    return GuestError("ValueError", std::string(binding) +
                                        "(): id must be a FHIR id (letters, digits, '-', '.'; at "
                                        "most 64), got " +
                                        DumpJson(id));
  return Status::Ok();
}

Status CheckResource(const json& args, const char* binding, bool need_id) {
  auto bad = [binding](const char* why) {
    return GuestError("ValueError", std::string(binding) + "(): " + why);
  };
  const json& res = args.contains("resource") ? args["resource"] : json();
  if (!res.is_object()) return bad("resource must be a dict (a FHIR resource)");
  const json& type = res.contains("resourceType") ? res["resourceType"] : json();
  if (!type.is_string() || !IsResourceTypeName(type.get<std::string>()))
    return bad("resource needs a resourceType such as 'Patient'");
  if (need_id &&
      (!res.contains("id") || !res["id"].is_string() || !IsFhirId(res["id"].get<std::string>())))
    return bad("resource needs a valid id to update");
  return Status::Ok();
}

// Search parameters from the guest's **params: str/int/float/bool values, lists for AND.
Result<FhirSearchParams> SearchParams(const json& params) {
  FhirSearchParams out;
  if (params.is_null()) return out;
  if (!params.is_object()) return InvalidArgument("search parameters must be keyword arguments");
  for (const auto& [name, value] : params.items()) {
    auto add = [&](const json& v) -> Status {
      if (v.is_string()) {
        out.push_back({name, v.get<std::string>()});
      } else if (v.is_number() || v.is_boolean()) {
        out.push_back({name, DumpJson(v)});
      } else {
        return InvalidArgument("search parameter " + name +
                               " must be a string or number (a list repeats it, meaning AND; "
                               "commas inside one value mean OR), got " +
                               DumpJson(v));
      }
      return Status::Ok();
    };
    if (value.is_array()) {
      for (const auto& v : value) WARD_RETURN_IF_ERROR(add(v));
    } else {
      WARD_RETURN_IF_ERROR(add(value));
    }
  }
  return out;
}

}  // namespace ward::fhir_internal
