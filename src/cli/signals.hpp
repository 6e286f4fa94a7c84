#pragma once

#include <stop_token>

namespace corio::cli {

/// Blocks SIGINT and SIGTERM in the calling thread (call it before starting any other thread, so every thread
/// inherits the mask) and starts a thread that waits for them: the first one requests stop on the returned
/// source (servers then drain), a second one exits the process at once with status 1. SIGPIPE is ignored.
std::stop_source& install_stop_signals();

} // namespace corio::cli
