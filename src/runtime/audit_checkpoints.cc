#include "runtime/audit_checkpoints.h"

namespace ward {

Result<AuditCheckpointing> MakeAuditCheckpointing(const WardConfig& config, Store* store,
                                                  Clock* clock) {
  AuditCheckpointing out;
  if (config.audit.key_file.empty())
    return InvalidArgument("no audit signing key file configured ([audit] key_file)");
  WARD_ASSIGN_OR_RETURN(SigningKey key, LoadOrCreateSigningKey(config.audit.key_file));
  out.key = std::make_unique<SigningKey>(std::move(key));
  std::vector<std::unique_ptr<CheckpointSink>> sinks;
  if (!config.audit.checkpoint_file.empty())
    sinks.push_back(NewFileCheckpointSink(config.audit.checkpoint_file));
  if (!config.audit.checkpoint_url.empty()) {
    out.http = NewHttpClient();
    sinks.push_back(NewHttpCheckpointSink(config.audit.checkpoint_url, out.http.get(),
                                          config.audit.publish_timeout_seconds * 1000));
  }
  out.published = !sinks.empty();
  out.checkpointer = std::make_unique<Checkpointer>(store, clock, out.key.get(), std::move(sinks),
                                                    config.audit.checkpoint_every);
  return out;
}

}  // namespace ward
