#include "corio/http/uri.hpp"

#include <cstdint>
#include <cstring>

#include "corio/http/detail/swar.hpp"
#include "corio/http/request.hpp"

namespace corio::http {

namespace {

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

} // namespace

std::optional<target_parts> split_target(std::string_view target) noexcept {
    if (!target.empty() && target.front() == '/') {
        // origin-form, the common case: one scan for the end of the path and a fragment (never sent), eight
        // bytes at a time.
        std::size_t i = 0;
        for (; i + 8 <= target.size(); i += 8) {
            std::uint64_t w;
            std::memcpy(&w, target.data() + i, 8);
            if ((detail::bytes_equal(w, '?') | detail::bytes_equal(w, '#')) != 0) {
                break;
            }
        }
        while (i < target.size() && target[i] != '?' && target[i] != '#') {
            ++i;
        }
        if (i == target.size()) {
            return target_parts{target, {}};
        }
        if (target[i] == '#' || target.find('#', i + 1) != std::string_view::npos) {
            return std::nullopt;
        }
        return target_parts{target.substr(0, i), target.substr(i + 1)};
    }
    if (target == "*") {
        return target_parts{target, {}};
    }
    if (target.find('#') != std::string_view::npos) {
        return std::nullopt;
    }
    if (target.empty()) {
        return std::nullopt;
    }
    if (target.front() != '/') {
        // absolute-form: scheme "://" authority [path] ["?" query]
        std::size_t scheme_end = 0;
        if (target.size() > 7 && iequals(target.substr(0, 7), "http://")) {
            scheme_end = 7;
        } else if (target.size() > 8 && iequals(target.substr(0, 8), "https://")) {
            scheme_end = 8;
        } else {
            return std::nullopt;
        }
        const std::size_t path_start = target.find_first_of("/?", scheme_end);
        if (path_start == scheme_end) {
            return std::nullopt; // empty authority
        }
        if (path_start == std::string_view::npos) {
            return target_parts{"/", {}};
        }
        target.remove_prefix(path_start);
        if (target.front() == '?') {
            return target_parts{"/", target.substr(1)};
        }
    }
    const std::size_t q = target.find('?');
    if (q == std::string_view::npos) {
        return target_parts{target, {}};
    }
    return target_parts{target.substr(0, q), target.substr(q + 1)};
}

decode_result percent_decode(std::string_view in, std::string& out, bool reject_encoded_slash) {
    for (std::size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '%') {
            if (i + 2 >= in.size()) {
                return decode_result::malformed;
            }
            const int hi = hex_value(in[i + 1]);
            const int lo = hex_value(in[i + 2]);
            if (hi < 0 || lo < 0) {
                return decode_result::malformed;
            }
            c = static_cast<char>(hi * 16 + lo);
            i += 2;
            if (c == '/' && reject_encoded_slash) {
                return decode_result::encoded_slash;
            }
        }
        if (c == '\0') {
            return decode_result::nul;
        }
        out.push_back(c);
    }
    return decode_result::ok;
}

} // namespace corio::http
