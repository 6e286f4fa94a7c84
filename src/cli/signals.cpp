#include "signals.hpp"

#include <signal.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <thread>

namespace corio::cli {

std::stop_source& install_stop_signals() {
    static std::stop_source source;
    sigset_t set;
    ::sigemptyset(&set);
    ::sigaddset(&set, SIGINT);
    ::sigaddset(&set, SIGTERM);
    ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
    // Create spdlog's registry here, before the thread that logs from it exists (libspdlog is not
    // instrumented, so ThreadSanitizer cannot see its own once-only initialisation).
    (void)spdlog::default_logger_raw();
    std::thread([set] {
        int received = 0;
        ::sigwait(&set, &received);
        spdlog::info("{}: stopping (signal again to force)", received == SIGINT ? "SIGINT" : "SIGTERM");
        source.request_stop();
        ::sigwait(&set, &received);
        static constexpr char forced[] = "corio: forced exit\n";
        [[maybe_unused]] auto n = ::write(2, forced, sizeof forced - 1);
        ::_exit(1);
    }).detach();
    return source;
}

} // namespace corio::cli
