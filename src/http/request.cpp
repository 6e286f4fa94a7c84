#include "corio/http/request.hpp"

#include "corio/http/detail/char_class.hpp"

namespace corio::http {

verb verb_from_method(std::string_view m) noexcept {
    switch (m.size()) {
    case 3:
        if (m == "GET") {
            return verb::get;
        }
        if (m == "PUT") {
            return verb::put;
        }
        break;
    case 4:
        if (m == "POST") {
            return verb::post;
        }
        if (m == "HEAD") {
            return verb::head;
        }
        break;
    case 5:
        if (m == "PATCH") {
            return verb::patch;
        }
        if (m == "TRACE") {
            return verb::trace;
        }
        break;
    case 6:
        if (m == "DELETE") {
            return verb::delete_;
        }
        break;
    case 7:
        if (m == "OPTIONS") {
            return verb::options;
        }
        if (m == "CONNECT") {
            return verb::connect;
        }
        break;
    default:
        break;
    }
    return verb::other;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (detail::to_lower(a[i]) != detail::to_lower(b[i])) {
            return false;
        }
    }
    return true;
}

const header* request::find(std::string_view name) const noexcept {
    for (const header& h : headers) {
        if (iequals(h.name, name)) {
            return &h;
        }
    }
    return nullptr;
}

} // namespace corio::http
