#include "ehr/outcome.h"

#include <nlohmann/json.hpp>

namespace ward::ehr {

using nlohmann::json;

namespace {

std::string Find(const HeaderList& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(a) == std::tolower(b);
        })) {
      return v;
    }
  }
  return "";
}

}  // namespace

std::string EhrRequest::Header(std::string_view name) const { return Find(headers, name); }
std::string EhrResponse::Header(std::string_view name) const { return Find(headers, name); }

std::string StatusLine(int status) {
  switch (status) {
    case 200:
      return "200 OK";
    case 201:
      return "201 Created";
    case 204:
      return "204 No Content";
    case 400:
      return "400 Bad Request";
    case 404:
      return "404 Not Found";
    case 405:
      return "405 Method Not Allowed";
    case 406:
      return "406 Not Acceptable";
    case 409:
      return "409 Conflict";
    case 410:
      return "410 Gone";
    case 412:
      return "412 Precondition Failed";
    case 415:
      return "415 Unsupported Media Type";
    case 422:
      return "422 Unprocessable Entity";
    case 501:
      return "501 Not Implemented";
    default:
      return std::to_string(status) + (status >= 500 ? " Internal Server Error" : "");
  }
}

EhrResponse OutcomeResponse(int status, std::string_view code, std::string_view diagnostics,
                            const std::vector<std::string>& expressions) {
  json issue = {{"severity", status >= 500 ? "fatal" : "error"},
                {"code", std::string(code)},
                {"diagnostics", std::string(diagnostics)}};
  if (!expressions.empty()) issue["expression"] = expressions;
  json body = {{"resourceType", "OperationOutcome"}, {"issue", json::array({issue})}};
  return EhrResponse{status, {}, body.dump(-1, ' ', false, json::error_handler_t::replace)};
}

EhrResponse ValidationFailure(int status, const std::vector<ValidationIssue>& issues) {
  json list = json::array();
  for (const auto& i : issues) {
    json issue = {{"severity", "error"}, {"code", "invalid"}, {"diagnostics", i.message}};
    if (!i.expression.empty()) issue["expression"] = json::array({i.expression});
    list.push_back(issue);
  }
  json body = {{"resourceType", "OperationOutcome"}, {"issue", list}};
  return EhrResponse{status, {}, body.dump(-1, ' ', false, json::error_handler_t::replace)};
}

EhrResponse FromStatus(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
      return OutcomeResponse(400, "invalid", s.message());
    case StatusCode::kNotFound:
      return OutcomeResponse(404, "not-found", s.message());
    case StatusCode::kAlreadyExists:
      return OutcomeResponse(409, "conflict", s.message());
    case StatusCode::kFailedPrecondition:
      return OutcomeResponse(412, "conflict", s.message());
    case StatusCode::kUnimplemented:
      return OutcomeResponse(501, "not-supported", s.message());
    default:
      return OutcomeResponse(500, "exception", s.ToString());
  }
}

std::string InformationOutcome(std::string_view text) {
  json body = {{"resourceType", "OperationOutcome"},
               {"issue", json::array({{{"severity", "information"},
                                       {"code", "informational"},
                                       {"diagnostics", std::string(text)}}})}};
  return body.dump();
}

}  // namespace ward::ehr
