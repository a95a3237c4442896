#include "audit/syslog_format.h"

#include <cstdio>
#include <cstring>

#include "audit/checkpoint.h"

namespace ward {
namespace {

constexpr int kFacilityLogAudit = 13;
constexpr int kSeverityWarning = 4;
constexpr int kSeverityInformational = 6;

// PRINTUSASCII (33-126) only, at most `max` characters; "-" (NILVALUE) when empty.
std::string HeaderField(std::string_view text, size_t max) {
  std::string out;
  for (char c : text) {
    if (out.size() >= max) break;
    if (c >= 33 && c <= 126) out += c;
  }
  return out.empty() ? "-" : out;
}

std::string Param(const char* name, std::string_view value) {
  return std::string(" ") + name + "=\"" + EscapeSdParamValue(value) + "\"";
}

std::string Header(int severity, const std::string& time, const std::string& hostname,
                   const std::string& msgid) {
  std::string out = "<";
  out += std::to_string(kFacilityLogAudit * 8 + severity);
  out += ">1 ";
  out += HeaderField(time, 64);
  out += ' ';
  out += HeaderField(hostname, 255);
  out += " ward - ";
  out += HeaderField(msgid, 32);
  out += ' ';
  return out;
}

constexpr const char* kBom = "\xEF\xBB\xBF";

}  // namespace

std::string EscapeSdParamValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\' || c == ']') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7F) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02X", u);
      out += hex;
    } else {
      out += c;
    }
  }
  return out;
}

std::string OctetCounted(std::string_view message) {
  return std::to_string(message.size()) + " " + std::string(message);
}

std::string SyslogMessage(const ParsedAuditEntry& e, const std::string& body,
                          const std::string& hostname) {
  int severity =
      std::strcmp(AuditOutcomeCode(e), "0") == 0 ? kSeverityInformational : kSeverityWarning;
  std::string out = Header(severity, e.time, hostname, e.kind);
  out += "[";
  out += kWardSyslogSdId;
  out += Param("seq", std::to_string(e.seq));
  out += Param("hash", e.hash);
  out += Param("kind", e.kind);
  out += Param("session", e.session);
  out += Param("actor", e.actor);
  out += "] ";
  out += kBom;
  for (char c : body) out += c == '\n' || c == '\r' ? ' ' : c;  // canonical JSON has none
  return out;
}

std::string SyslogCheckpointMessage(const StoredCheckpoint& c, const std::string& hostname) {
  std::string out = Header(kSeverityInformational, c.time, hostname, "checkpoint");
  out += "[";
  out += kWardSyslogSdId;
  out += Param("seq", std::to_string(c.seq));
  out += Param("head_hash", c.head_hash);
  out += Param("key_id", c.key_id);
  out += Param("sig", c.signature);
  out += Param("time", c.time);
  out += "] ";
  out += kBom;
  out += CheckpointLine(c);
  return out;
}

}  // namespace ward
