// Audit entries as RFC 5424 syslog messages, for SIEMs (docs/audit.md, "Export").
//
//   <110>1 2026-11-30T04:00:00.000Z HOST ward - binding_call [ward@32473 seq="12"
//   hash="…" kind="binding_call" session="s-…" actor="alice"] {"actor":…}
//
// PRI is facility 13 (log audit) with severity 6 (informational), or 4 (warning)
// for an entry whose outcome is not success. HOSTNAME, APP-NAME and MSGID are
// reduced to printable US-ASCII without spaces and cut to RFC 5424's lengths
// (255, 48, 32). The structured data's PARAM-VALUEs escape '"', '\' and ']' with
// a backslash as RFC 5424 §6.3.3 requires, and ward also writes control
// characters (newlines included) as \n, \r, \t or \xHH, so a value can neither
// close the element nor start a new message in a line-oriented receiver. MSG is
// the entry's stored body (canonical JSON: no raw control characters) after a
// UTF-8 BOM. 32473 is the private enterprise number RFC 5612 reserves for
// documentation; ward has none of its own. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "audit/audit_event_fhir.h"

namespace ward {

inline constexpr const char* kWardSyslogSdId = "ward@32473";

// One message (no trailing newline, no framing).
std::string SyslogMessage(const ParsedAuditEntry& entry, const std::string& body,
                          const std::string& hostname);
// A signed checkpoint as a message: MSGID "checkpoint", structured data with seq,
// head_hash, key_id, sig, time; MSG the checkpoint's wire line.
std::string SyslogCheckpointMessage(const StoredCheckpoint& checkpoint,
                                    const std::string& hostname);

// RFC 5424 §6.3.3 PARAM-VALUE escaping, plus control characters (see above).
std::string EscapeSdParamValue(std::string_view value);
// RFC 6587 §3.4.1 octet counting: "<length> <message>".
std::string OctetCounted(std::string_view message);

}  // namespace ward
