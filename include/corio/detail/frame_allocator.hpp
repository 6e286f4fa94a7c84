#pragma once

// A per-thread recycling allocator for coroutine frames. Frames are grouped into size classes of 64 bytes up
// to 2 KiB; a freed frame goes onto the freeing thread's list for its class, so that creating and destroying
// tasks in a steady state does not reach the global heap. Each thread caches at most `max_cached_bytes`; a
// frame freed past that, or after the thread's cache was torn down, goes back to the global heap. A frame may
// be freed on another thread than the one that allocated it.

#include <cstddef>
#include <cstdint>
#include <new>

namespace corio::detail {

class frame_allocator {
public:
    static constexpr std::size_t granularity = 64;
    static constexpr std::size_t class_count = 32;
    static constexpr std::size_t max_cached_bytes = std::size_t{1} << 20;

    /// Returns storage for a frame of `size` bytes. @throws std::bad_alloc
    static void* allocate(std::size_t size) {
        const std::size_t cls = class_of(size);
        if (cls < class_count) {
            cache& c = local;
            if (node* n = c.heads[cls]) {
                c.heads[cls] = n->next;
                c.cached_bytes -= class_size(cls);
                return n;
            }
            return ::operator new(class_size(cls));
        }
        return ::operator new(size);
    }

    /// Gives back storage from allocate(size), with the same size.
    static void deallocate(void* p, std::size_t size) noexcept {
        const std::size_t cls = class_of(size);
        if (cls < class_count) {
            cache& c = local;
            if (c.state == cache_state::dead || c.cached_bytes + class_size(cls) > max_cached_bytes) {
                ::operator delete(p, class_size(cls));
                return;
            }
            if (c.state == cache_state::unused) {
                register_reaper();
            }
            node* n = static_cast<node*>(p);
            n->next = c.heads[cls];
            c.heads[cls] = n;
            c.cached_bytes += class_size(cls);
            return;
        }
        ::operator delete(p, size);
    }

    /// Bytes this thread holds in its cache (for tests and diagnostics).
    static std::size_t cached_bytes() noexcept { return local.cached_bytes; }

    /// Returns every cached frame of this thread to the global heap.
    static void trim() noexcept {
        cache& c = local;
        for (std::size_t cls = 0; cls < class_count; ++cls) {
            while (node* n = c.heads[cls]) {
                c.heads[cls] = n->next;
                ::operator delete(n, class_size(cls));
            }
        }
        c.cached_bytes = 0;
    }

private:
    struct node {
        node* next;
    };
    enum class cache_state : std::uint8_t { unused, live, dead };
    // Trivially constructible and destructible, so that reaching it costs no TLS guard; the reaper below
    // empties it when the thread exits.
    struct cache {
        node* heads[class_count];
        std::size_t cached_bytes;
        cache_state state;
    };
    struct reaper {
        ~reaper() {
            trim();
            local.state = cache_state::dead;
        }
    };

    static constexpr std::size_t class_of(std::size_t size) noexcept { return (size - 1) / granularity; }
    static constexpr std::size_t class_size(std::size_t cls) noexcept { return (cls + 1) * granularity; }

    static void register_reaper() noexcept {
        static thread_local reaper r;
        (void)r;
        local.state = cache_state::live;
    }

    static inline constinit thread_local cache local{};
};

} // namespace corio::detail
