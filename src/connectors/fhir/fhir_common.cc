#include "connectors/fhir/fhir_common.h"

#include "util/hash.h"
#include "util/json_limits.h"

namespace ward::fhir_internal {

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

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

// Parses a JSON response body; an error outcome for the guest when it is not JSON.
Result<json> ParseBody(const FhirResponse& r) {
  json body = ParseJsonOrDiscarded(r.body);
  if (body.is_discarded())
    return InvalidArgument("the FHIR server answered " + r.method + " " + r.url +
                           " with a body that is not JSON");
  return body;
}

BindingOutcome HttpFailure(const FhirResponse& r) {
  std::string path = r.url;
  BindingOutcome out =
      BindingFailure("FhirError", "HTTP " + std::to_string(r.status) + " from " + r.method + " " +
                                      path + ": " + OperationOutcomeText(r.body));
  out.audit = CallAudit(r, {});
  return out;
}

BindingOutcome TransportFailure(const Status& s) {
  return BindingFailure("FhirError", "the FHIR server could not be reached: " + s.message());
}

std::optional<json> Args(const std::string& args_json, const char* binding,
                         BindingOutcome* failure) {
  json args = ParseJsonOrDiscarded(args_json);
  if (args.is_discarded() || !args.is_object()) {
    *failure = BindingFailure("TypeError", std::string(binding) + "(): malformed arguments");
    return std::nullopt;
  }
  return args;
}

std::string CheckTypeAndId(const json& args, const char* binding, bool with_id) {
  const json& type = args.contains("resource_type") ? args["resource_type"] : json();
  if (!type.is_string() || !IsResourceTypeName(type.get<std::string>()))
    return std::string(binding) +
           "(): resource_type must be a FHIR resource type such as "
           "'Patient', got " +
           Dump(type);
  if (!with_id) return "";
  const json& id = args.contains("id") ? args["id"] : json();
  if (!id.is_string() || !IsFhirId(id.get<std::string>()))
    return std::string(binding) +
           "(): id must be a FHIR id (letters, digits, '-', '.'; at most "
           "64), got " +
           Dump(id);
  return "";
}

std::string CheckResource(const json& args, const char* binding, bool need_id) {
  const json& res = args.contains("resource") ? args["resource"] : json();
  if (!res.is_object())
    return std::string(binding) + "(): resource must be a dict (a FHIR resource)";
  const json& type = res.contains("resourceType") ? res["resourceType"] : json();
  if (!type.is_string() || !IsResourceTypeName(type.get<std::string>()))
    return std::string(binding) + "(): resource needs a resourceType such as 'Patient'";
  if (need_id &&
      (!res.contains("id") || !res["id"].is_string() || !IsFhirId(res["id"].get<std::string>())))
    return std::string(binding) + "(): resource needs a valid id to update";
  return "";
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
        out.push_back({name, Dump(v)});
      } else {
        return InvalidArgument("search parameter " + name +
                               " must be a string or number (a list repeats it, meaning AND; "
                               "commas inside one value mean OR), got " +
                               Dump(v));
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
