#pragma once

// MIME types for static files, by file name extension.

#include <string_view>

namespace corio::http {

/// The Content-Type for a file name, from its extension (ASCII case-insensitive). Text types carry
/// "; charset=utf-8". Unknown or missing extensions give "application/octet-stream". The view is static.
std::string_view mime_type_for(std::string_view file_name) noexcept;

} // namespace corio::http
