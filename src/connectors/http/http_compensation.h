// Turning a route's declared compensation (HttpCompensation) into the concrete
// requests the journal needs for one call: the pre-image GET sent before the
// write, and the undo request sent on rollback. Pure functions; thread-safe.
//
// Each resolved request is checked against the allowlist (MatchHttpRoute), so an
// undo can never reach a route the config does not allow. A `{location}` is
// taken from the forward response's Location header: an absolute URL must have
// the base_url's scheme, host and port (default ports folded), a path must lie
// under base_url's path, and neither may carry a query or fragment; anything else
// is FailedPrecondition (the write is then irreversible, and says why).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "connectors/http/http_api_config.h"
#include "connectors/http/http_route_match.h"
#include "util/status.h"

namespace ward {

struct HttpResolvedRequest {
  std::string method;
  std::string path;              // relative to base_url, allowed by a route
  bool sends_pre_image = false;  // the body is the pre-image the GET read
};

// The GET to send before `forward` to capture its pre-image, or nullopt when the
// route declares no compensation with a pre-image for that method.
Result<std::optional<HttpResolvedRequest>> ResolveHttpPreImageRequest(
    const HttpApiConfig& config, const HttpRouteMatch& forward);

// The request that undoes `forward`, given the Location header of its response
// ("" when absent). NotFound when the route declares no compensation for the
// method (the write is irreversible).
Result<HttpResolvedRequest> ResolveHttpUndoRequest(const HttpApiConfig& config,
                                                   const HttpRouteMatch& forward,
                                                   std::string_view location);

// The API path (relative to base_url) a Location header names; the rules above.
Result<std::string> HttpLocationToApiPath(const HttpApiConfig& config, std::string_view location);

}  // namespace ward
