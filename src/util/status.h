// Status and Result<T>: errors as values.
//
// A Status is either OK or carries a code and a human-readable message. Fallible
// functions return Status (no value) or Result<T> (a value or a non-OK Status) and
// callers return early on failure. Third-party exceptions are caught at the adapter
// that calls the library and converted to a Status there; nothing in ward throws
// across a module boundary. Both types are cheap to move and thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace ward {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // bad input from a user, a file or a peer
  kNotFound,            // a named thing does not exist
  kAlreadyExists,       // a create found the thing already there
  kPermissionDenied,    // a policy, role or approval said no
  kUnauthenticated,     // no valid credentials were presented
  kFailedPrecondition,  // state does not allow it (e.g. version conflict)
  kResourceExhausted,   // a budget or limit was hit
  kDeadlineExceeded,    // a timeout
  kUnavailable,         // a peer could not be reached or answered with a retryable error
  kCancelled,           // the user interrupted
  kDataLoss,            // stored data failed verification
  kUnimplemented,       // a request for something ward does not do
  kInternal,            // a bug or an unexpected failure
};

// Returns a stable lower-case name, e.g. "invalid_argument".
const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "invalid_argument: message" (or "ok").
  std::string ToString() const;

  // Returns a copy whose message is "context: message"; OK stays OK.
  Status WithContext(const std::string& context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
inline Status PermissionDenied(std::string m) {
  return {StatusCode::kPermissionDenied, std::move(m)};
}
inline Status Unauthenticated(std::string m) {
  return {StatusCode::kUnauthenticated, std::move(m)};
}
inline Status FailedPrecondition(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}
inline Status ResourceExhausted(std::string m) {
  return {StatusCode::kResourceExhausted, std::move(m)};
}
inline Status DeadlineExceeded(std::string m) {
  return {StatusCode::kDeadlineExceeded, std::move(m)};
}
inline Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status Cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
inline Status DataLoss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status Unimplemented(std::string m) { return {StatusCode::kUnimplemented, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// Holds either a T or a non-OK Status. Constructing from an OK Status is a bug and
// is turned into an Internal error rather than undefined behaviour.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status)                          // NOLINT: implicit by design
      : status_(status.ok() ? Internal("Result built from an OK status") : std::move(status)) {}

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T value_or(T fallback) const& { return value_ ? *value_ : std::move(fallback); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace ward

// Returns early from the enclosing function when `expr` (a Status) is not OK.
#define WARD_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::ward::Status ward_status_ = (expr);        \
    if (!ward_status_.ok()) return ward_status_; \
  } while (0)

#define WARD_CONCAT_INNER(a, b) a##b
#define WARD_CONCAT(a, b) WARD_CONCAT_INNER(a, b)

// Evaluates `rexpr` (a Result<T>); on error returns its Status, else moves the
// value into `lhs` (which may be a declaration, e.g. `auto x`).
#define WARD_ASSIGN_OR_RETURN(lhs, rexpr)                \
  auto WARD_CONCAT(ward_result_, __LINE__) = (rexpr);    \
  if (!WARD_CONCAT(ward_result_, __LINE__).ok())         \
    return WARD_CONCAT(ward_result_, __LINE__).status(); \
  lhs = std::move(WARD_CONCAT(ward_result_, __LINE__)).value()
