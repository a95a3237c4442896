// Whether a PostgreSQL role can act despite a read-only transaction (internal to
// connectors/sql; see RefusePrivilegedPgRole in internal/sql_connection.h).
//
// BEGIN READ ONLY stops writes to tables, not everything a statement can do: a
// superuser or a member of pg_signal_backend can end other sessions
// (pg_terminate_backend); pg_execute_server_program runs programs (COPY … TO
// PROGRAM); pg_write_server_files writes files (COPY … TO '/file'); and
// pg_read_server_files reads any file the server can. Functions that reach the
// server's files (lo_export, lo_import, pg_read_file, …) or act on the server
// (pg_reload_conf, pg_promote, pg_switch_wal, …) are superuser-only by default but
// can be granted one by one (adminpack's pg_file_write and kin write files), and
// dblink opens another session that no read-only mode covers. A member of a
// superuser role may become it with SET ROLE. Both the session user and the
// current user are checked (a session user may RESET ROLE back to itself), and a
// function counts when any role they are members of may execute it (SET ROLE
// reaches a role whose privileges are not inherited).
#include <string>
#include <vector>

#include "connectors/sql/internal/sql_connection.h"

namespace ward::sql::internal {
namespace {

using nlohmann::json;

constexpr const char* kPrivilegeQuery =
    "SELECT u.rolname::text AS role, u.rolsuper AS superuser, "
    "pg_catalog.array_to_json(ARRAY(SELECT s.rolname::text FROM pg_catalog.pg_roles s "
    "  WHERE s.rolsuper AND s.oid <> u.oid AND pg_catalog.pg_has_role(u.oid, s.oid, 'MEMBER') "
    "  ORDER BY 1)) AS superuser_roles, "
    "pg_catalog.array_to_json(ARRAY(SELECT g.rolname::text FROM pg_catalog.pg_roles g "
    "  WHERE g.rolname IN ('pg_signal_backend', 'pg_execute_server_program', "
    "    'pg_write_server_files', 'pg_read_server_files') "
    "  AND pg_catalog.pg_has_role(u.oid, g.oid, 'MEMBER') ORDER BY 1)) AS roles, "
    "pg_catalog.array_to_json(ARRAY(SELECT DISTINCT p.proname::text FROM pg_catalog.pg_proc p "
    "  WHERE ((p.pronamespace = 'pg_catalog'::pg_catalog.regnamespace AND p.proname IN "
    "    ('lo_export', 'lo_import', 'pg_read_file', 'pg_read_binary_file', 'pg_ls_dir', "
    "     'pg_reload_conf', 'pg_rotate_logfile', 'pg_promote', 'pg_switch_wal', "
    "     'pg_create_restore_point', 'pg_backup_start', 'pg_backup_stop', 'pg_start_backup', "
    "     'pg_stop_backup', 'pg_wal_replay_pause', 'pg_wal_replay_resume', "
    "     'pg_log_backend_memory_contexts')) "
    "    OR p.proname LIKE 'dblink%' "
    "    OR p.proname IN ('pg_file_write', 'pg_file_rename', 'pg_file_unlink', 'pg_file_sync')) "
    "  AND EXISTS (SELECT 1 FROM pg_catalog.pg_roles m "
    "    WHERE pg_catalog.pg_has_role(u.oid, m.oid, 'MEMBER') "
    "    AND pg_catalog.has_function_privilege(m.oid, p.oid, 'EXECUTE')) "
    "  ORDER BY 1)) AS functions "
    "FROM pg_catalog.pg_roles u WHERE u.rolname IN (session_user, current_user) ORDER BY 1";

std::string Joined(const json& names) {
  std::string out;
  for (const auto& n : names) {
    if (n.is_string()) out += (out.empty() ? "" : ", ") + n.get<std::string>();
  }
  return out;
}

// Why `row` (one role of kPrivilegeQuery) can act; "" when it cannot.
std::string PrivilegeOf(const json& row) {
  const std::string role = "role \"" + row.value("role", std::string()) + "\"";
  if (row.value("superuser", false)) return role + " is a superuser";
  const std::string superusers = Joined(row.value("superuser_roles", json::array()));
  if (!superusers.empty()) return role + " may SET ROLE to the superuser " + superusers;
  const std::string roles = Joined(row.value("roles", json::array()));
  const std::string functions = Joined(row.value("functions", json::array()));
  std::string why;
  if (!roles.empty()) why = "is a member of " + roles;
  if (!functions.empty()) why += (why.empty() ? "" : " and ") + ("may execute " + functions);
  return why.empty() ? "" : role + " " + why;
}

}  // namespace

Status RefusePrivilegedPgRole(SqlConnection& conn, const SqlLimits& limits) {
  WARD_RETURN_IF_ERROR(conn.BeginRead(limits));
  auto ran = conn.Run(kPrivilegeQuery, nullptr, limits);
  Status ended = conn.EndRead();
  if (!ran.ok()) return ran.status().WithContext("postgresql: checking the role's privileges");
  WARD_RETURN_IF_ERROR(ended);
  if (ran->rows.empty()) return Internal("postgresql: the session's role is not in pg_roles");
  std::vector<std::string> reasons;
  for (const json& row : ran->rows) {
    if (std::string why = PrivilegeOf(row); !why.empty()) reasons.push_back(why);
  }
  if (reasons.empty()) return Status::Ok();
  std::string what;
  for (const auto& r : reasons) what += (what.empty() ? "" : "; ") + r;
  return FailedPrecondition(
      "postgresql: refusing to run as this role: " + what +
      ". Such a role can act through a read-only query (end other sessions, run programs, read "
      "or write server files, open other sessions). Connect as an ordinary role with only the "
      "privileges the agent needs, or set allow_privileged_role = true to accept that risk");
}

}  // namespace ward::sql::internal
