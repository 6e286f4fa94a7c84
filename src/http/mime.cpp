#include "corio/http/mime.hpp"

#include "corio/http/request.hpp"

namespace corio::http {

namespace {

struct mime_entry {
    std::string_view extension;
    std::string_view type;
};

constexpr mime_entry mime_table[] = {
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"json", "application/json"},
    {"map", "application/json"},
    {"txt", "text/plain; charset=utf-8"},
    {"md", "text/markdown; charset=utf-8"},
    {"csv", "text/csv; charset=utf-8"},
    {"xml", "application/xml"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"avif", "image/avif"},
    {"ico", "image/vnd.microsoft.icon"},
    {"bmp", "image/bmp"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},
    {"otf", "font/otf"},
    {"wasm", "application/wasm"},
    {"pdf", "application/pdf"},
    {"zip", "application/zip"},
    {"gz", "application/gzip"},
    {"tar", "application/x-tar"},
    {"mp3", "audio/mpeg"},
    {"ogg", "audio/ogg"},
    {"wav", "audio/wav"},
    {"mp4", "video/mp4"},
    {"webm", "video/webm"},
    {"webmanifest", "application/manifest+json"},
};

} // namespace

std::string_view mime_type_for(std::string_view file_name) noexcept {
    const std::size_t slash = file_name.rfind('/');
    if (slash != std::string_view::npos) {
        file_name.remove_prefix(slash + 1);
    }
    const std::size_t dot = file_name.rfind('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 == file_name.size()) {
        return "application/octet-stream";
    }
    const std::string_view ext = file_name.substr(dot + 1);
    for (const mime_entry& e : mime_table) {
        if (iequals(e.extension, ext)) {
            return e.type;
        }
    }
    return "application/octet-stream";
}

} // namespace corio::http
