#include "corio/http/response.hpp"

#include <unistd.h>

#include <cstring>

#include "corio/http/request.hpp"

namespace corio::http {

void unique_fd::close_descriptor(int fd) noexcept {
    ::close(fd);
}

std::string_view response::long_type() const noexcept {
    return extras_->long_type;
}

response::extras& response::more() {
    if (extras_ == nullptr) {
        extras_ = std::make_unique<extras>();
    }
    return *extras_;
}

response& response::set_other_content_type(std::string_view value) {
    if (value.size() <= inline_type_capacity) {
        if (!value.empty()) {
            std::memcpy(type_inline_, value.data(), value.size());
        }
        type_length_ = static_cast<std::uint8_t>(value.size());
    } else {
        more().long_type.assign(value);
        type_length_ = 0xff;
    }
    return *this;
}

response& response::add_header(std::string_view name, std::string_view value) {
    more().fields.push_back({std::string(name), std::string(value)});
    return *this;
}

const std::vector<response_field>& response::headers() const noexcept {
    static const std::vector<response_field> none;
    return extras_ != nullptr ? extras_->fields : none;
}

const response_field* response::find_header(std::string_view name) const noexcept {
    for (const response_field& f : headers()) {
        if (iequals(f.name, name)) {
            return &f;
        }
    }
    return nullptr;
}

} // namespace corio::http
