#pragma once

// recv and send as plain system calls. libc's wrappers are cancellation points: in a multi-threaded process
// they switch asynchronous cancellation on and off around every call (about 60 instructions per recv/send
// pair). corio never cancels threads, so its hot paths (the echo loop, HTTP connections) call the kernel
// directly. Same results and errno as recv(2)/send(2).

#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstddef>

namespace corio::net::detail {

inline ssize_t sys_recv(int fd, void* buffer, std::size_t size, int flags) noexcept {
    return ::syscall(SYS_recvfrom, fd, buffer, size, flags, nullptr, nullptr);
}

inline ssize_t sys_send(int fd, const void* data, std::size_t size, int flags) noexcept {
    return ::syscall(SYS_sendto, fd, data, size, flags, nullptr, 0);
}

} // namespace corio::net::detail
