#pragma once

// Allocation of Asio's per-operation state from exact-size, per-thread block caches.
//
// Asio allocates an operation's state (the handler plus the reactor's bookkeeping) through the handler's
// associated allocator; by default from a small per-thread recycling slot that hands out whatever block it
// holds, often one left over from a larger operation (an accept's, ~320 bytes). A long-pending operation,
// such as an idle connection's readiness wait, then holds that larger block. Handlers that expose
// `op_allocator<void>` as their allocator get a block of exactly the operation's size instead, recycled
// through a per-thread free list, so a steady state allocates nothing and a pending wait costs only itself.

#include <cstddef>
#include <new>

namespace corio::detail {

/// A per-thread free list of blocks of `Size` bytes (at most ~1 MiB of them kept); the blocks go back to the
/// heap when the thread ends, and blocks freed after that go straight to the heap.
template <std::size_t Size>
struct block_cache {
    struct free_block {
        free_block* next;
    };
    static_assert(Size >= sizeof(free_block));
    static constexpr std::size_t max_cached = (std::size_t{1} << 20) / (Size + 16);

    struct list {
        free_block* head = nullptr;
        std::size_t count = 0;
        list() noexcept = default;
        list(const list&) = delete;
        list& operator=(const list&) = delete;
        ~list() {
            dead = true;
            while (free_block* b = head) {
                head = b->next;
                ::operator delete(b);
            }
        }
    };
    static inline thread_local list local;
    static inline thread_local bool dead = false; // trivially destructible: readable during thread exit

    static void* allocate() {
        if (!dead) {
            list& l = local;
            if (free_block* b = l.head) {
                l.head = b->next;
                --l.count;
                return b;
            }
        }
        return ::operator new(Size);
    }
    static void deallocate(void* p) noexcept {
        if (!dead) {
            list& l = local;
            if (l.count < max_cached) {
                auto* b = static_cast<free_block*>(p);
                b->next = l.head;
                l.head = b;
                ++l.count;
                return;
            }
        }
        ::operator delete(p);
    }
};

/// The allocator to associate with a handler (`using allocator_type = op_allocator<void>;` plus
/// `get_allocator()`): single objects come from block_cache<sizeof(T)>.
template <class T>
struct op_allocator {
    using value_type = T;
    op_allocator() noexcept = default;
    template <class U>
    op_allocator(const op_allocator<U>&) noexcept {} // NOLINT(google-explicit-constructor)

    T* allocate(std::size_t n) {
        if (n == 1) {
            return static_cast<T*>(block_cache<sizeof(T)>::allocate());
        }
        return static_cast<T*>(::operator new(n * sizeof(T)));
    }
    void deallocate(T* p, std::size_t n) noexcept {
        if (n == 1) {
            block_cache<sizeof(T)>::deallocate(p);
            return;
        }
        ::operator delete(p);
    }
    template <class U>
    bool operator==(const op_allocator<U>&) const noexcept {
        return true;
    }
};

} // namespace corio::detail
