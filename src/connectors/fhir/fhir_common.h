// Helpers shared by the fhir bindings' read and write halves. Internal.
//
// The one error idiom of this folder: functions return Status or Result<T>, and an
// error the guest should see is a Status whose code names the guest's error type.
// GuestError(type, message) builds one; the edges — the Binding handlers and the
// prepare lambdas — turn it into a BindingOutcome (FailureOutcome) or a PreparedCall
// refusal (RefusedCall) exactly once. The codes, one per guest error type:
//
//   ValueError        kInvalidArgument    an argument's value or shape
//   TypeError         kUnimplemented      the arguments are not a dict at all
//   BindingError      kNotFound           no such fhir binding
//   FhirError         kUnavailable        the server refused, failed or was not reached
//   ConflictError     kFailedPrecondition the resource changed since it was read
//   PermissionDenied  kPermissionDenied   the write could not be journaled
//
// A Status from below (the HTTP client, the journal) is converted with GuestError
// where the guest's error is decided; any other code reaches the guest as FhirError.
// A failure that follows an HTTP error answer (status >= 400) carries that answer's
// audit details, and a ConflictError there (a write's failed If-Match, HTTP 412) is
// stale: pass the response to FailureOutcome.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "connectors/fhir/fhir_bindings.h"

namespace ward::fhir_internal {

using nlohmann::json;

// A Status for the guest: `type` is one of the table's; anything else is a bug and
// becomes FhirError.
Status GuestError(const std::string& type, std::string message);
// The guest error type a Status carries (the table above).
std::string GuestTypeOf(const Status& s);
// The edges: one outcome or refusal from a non-OK Status. `answered`, when given and
// an HTTP error (>= 400), adds its audit details and marks a ConflictError stale.
BindingOutcome FailureOutcome(const Status& s, const FhirResponse* answered = nullptr);
PreparedCall RefusedCall(const Status& s);

// The audit details every FHIR call records.
AuditData CallAudit(const FhirResponse& r, const std::vector<std::string>& ids);
std::string ResourceRef(const json& resource);
// A JSON response body; FhirError when it is not JSON.
Result<json> ParseBody(const FhirResponse& r);
// FhirError for an HTTP error answer; for a request that did not reach the server.
Status HttpError(const FhirResponse& r);
Status TransportError(const Status& s);
// The response of a request that reached the server and was not refused: the
// transport error, or the HTTP error, otherwise.
Result<FhirResponse> Answered(Result<FhirResponse> r, FhirResponse* seen);
// The arguments object; TypeError when malformed.
Result<json> Args(const std::string& args_json, const char* binding);
// Validates resource_type (and id when `with_id`): ValueError when it is not.
Status CheckTypeAndId(const json& args, const char* binding, bool with_id);
// The resource argument of create/update: ValueError when it is not one.
Status CheckResource(const json& args, const char* binding, bool need_id);

// Search parameters from the guest's **params: str/int/float/bool values, lists for
// AND; InvalidArgument for any other shape. The one reading of them that both the
// policy's patient set and the request use.
Result<FhirSearchParams> SearchParams(const json& params);

}  // namespace ward::fhir_internal
