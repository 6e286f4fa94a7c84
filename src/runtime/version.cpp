#include "corio/version.hpp"

#include "corio_config.hpp"

namespace corio {

std::string_view version() noexcept {
    return CORIO_VERSION;
}

} // namespace corio
