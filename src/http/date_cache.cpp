#include "corio/http/date_cache.hpp"

namespace corio::http {

namespace {

void put2(char* p, unsigned v) noexcept {
    p[0] = static_cast<char>('0' + v / 10);
    p[1] = static_cast<char>('0' + v % 10);
}

} // namespace

void format_http_date(std::int64_t unix_seconds, std::array<char, 29>& out) noexcept {
    using namespace std::chrono;
    constexpr std::string_view weekdays = "SunMonTueWedThuFriSat";
    constexpr std::string_view months = "JanFebMarAprMayJunJulAugSepOctNovDec";
    const sys_seconds t{seconds{unix_seconds}};
    const sys_days day = floor<days>(t);
    const year_month_day ymd{day};
    const weekday wd{day};
    const auto since_midnight = static_cast<unsigned>((t - day).count());
    char* p = out.data();
    const unsigned w = wd.c_encoding();
    p[0] = weekdays[w * 3];
    p[1] = weekdays[w * 3 + 1];
    p[2] = weekdays[w * 3 + 2];
    p[3] = ',';
    p[4] = ' ';
    put2(p + 5, static_cast<unsigned>(ymd.day()));
    p[7] = ' ';
    const unsigned m = static_cast<unsigned>(ymd.month()) - 1;
    p[8] = months[m * 3];
    p[9] = months[m * 3 + 1];
    p[10] = months[m * 3 + 2];
    p[11] = ' ';
    const int y = static_cast<int>(ymd.year());
    const unsigned year = y < 0 ? 0u : (y > 9999 ? 9999u : static_cast<unsigned>(y));
    put2(p + 12, year / 100);
    put2(p + 14, year % 100);
    p[16] = ' ';
    put2(p + 17, since_midnight / 3600);
    p[19] = ':';
    put2(p + 20, since_midnight / 60 % 60);
    p[22] = ':';
    put2(p + 23, since_midnight % 60);
    p[25] = ' ';
    p[26] = 'G';
    p[27] = 'M';
    p[28] = 'T';
}

std::string_view date_cache::at(std::chrono::system_clock::time_point t) noexcept {
    const std::int64_t second = std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count();
    if (second != second_) {
        second_ = second;
        format_http_date(second, text_);
        ++refreshes_;
    }
    return {text_.data(), text_.size()};
}

date_cache& thread_date_cache() noexcept {
    thread_local date_cache cache;
    return cache;
}

} // namespace corio::http
