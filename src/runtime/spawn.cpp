#include "corio/runtime/spawn.hpp"

#include <spdlog/spdlog.h>

#include <exception>

namespace corio::detail {

void log_escaped_exception(std::exception_ptr error) noexcept {
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        try {
            spdlog::error("corio: a spawned task ended with an exception: {}", e.what());
        } catch (...) {
        }
    } catch (...) {
        try {
            spdlog::error("corio: a spawned task ended with an exception that is not a std::exception");
        } catch (...) {
        }
    }
}

} // namespace corio::detail
