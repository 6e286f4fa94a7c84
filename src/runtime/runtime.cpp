#include "corio/runtime/runtime.hpp"

#include <spdlog/spdlog.h>

#include <exception>

namespace corio {

runtime::runtime(std::size_t threads) {
    if (threads == 0) {
        threads = 1;
    }
    workers_.reserve(threads);
    for (std::size_t i = 0; i < threads; ++i) {
        workers_.push_back(std::make_unique<worker>());
    }
    for (auto& w : workers_) {
        worker* wp = w.get();
        w->thread = std::thread([wp] { run_worker(*wp); });
    }
}

runtime::~runtime() {
    join();
}

void runtime::run_worker(worker& w) noexcept {
    const executor_scope scope(w.context.get_executor());
    for (;;) {
        try {
            w.context.run();
            return;
        } catch (const std::exception& e) {
            spdlog::error("corio: a handler threw on a runtime worker: {}", e.what());
        } catch (...) {
            spdlog::error("corio: a handler threw on a runtime worker (not a std::exception)");
        }
    }
}

void runtime::stop() noexcept {
    for (auto& w : workers_) {
        w->context.stop();
    }
}

void runtime::join() {
    assert(!is_worker_thread() && "runtime::join called from one of its own workers");
    stop();
    for (auto& w : workers_) {
        if (w->thread.joinable()) {
            w->thread.join();
        }
    }
}

bool runtime::is_worker_thread() const noexcept {
    const auto self = std::this_thread::get_id();
    for (const auto& w : workers_) {
        if (w->thread.get_id() == self) {
            return true;
        }
    }
    return false;
}

} // namespace corio
