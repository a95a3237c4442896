// The audit checkpointing ward.toml's [audit] table describes: the signing key
// (created on first use), the sinks (checkpoint_file, checkpoint_url) and the
// Checkpointer over them. Used by sessions (a checkpoint every N entries and at
// the end) and by `ward audit checkpoint|key|verify`.
//
// MakeAuditCheckpointing fails (PermissionDenied / InvalidArgument from
// LoadOrCreateSigningKey, naming the key file) when the key cannot be used; it
// never prints the key. The result owns everything; `store` and `clock` are not
// owned and must outlive it. Used by one thread (the Checkpointer is thread-safe).
#pragma once

#include <memory>

#include "audit/checkpointer.h"
#include "audit/signing_key.h"
#include "net/http_client.h"
#include "runtime/config.h"

namespace ward {

struct AuditCheckpointing {
  std::unique_ptr<SigningKey> key;
  std::unique_ptr<HttpClient> http;  // for checkpoint_url
  std::unique_ptr<Checkpointer> checkpointer;
  bool published = false;  // a checkpoint_file or checkpoint_url is configured
};

Result<AuditCheckpointing> MakeAuditCheckpointing(const WardConfig& config, Store* store,
                                                  Clock* clock);

}  // namespace ward
