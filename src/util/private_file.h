// Files that hold ward's data (stores, databases) are readable by their owner only.
//
// MakePrivateFile(path) creates `path` with mode 0600 when it does not exist, and
// tightens it to 0600 when it exists, is owned by this process's user and is
// readable or writable by others. It never opens an existing file (closing a
// descriptor of a database SQLite has open in this process would drop that
// connection's locks). Call it before handing the path to SQLite, which
// gives a database's -wal and -shm files the mode of the database file. Returns
// InvalidArgument (naming the path and the reason) when the file cannot be created
// or tightened. Thread-safe.
#pragma once

#include <string>

#include "util/status.h"

namespace ward {

Status MakePrivateFile(const std::string& path);

// MakePrivateFile for an SQLite database, and tightens its -wal and -shm files to
// 0600 where they already exist (SQLite creates new ones with the database's mode).
Status MakePrivateDatabase(const std::string& path);

}  // namespace ward
