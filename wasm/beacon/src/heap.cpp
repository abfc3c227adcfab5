// The beacon's allocator, in place of Emscripten's emmalloc (~1.8 KB of the
// module's code for ~0.2 KB here). Blocks come in power-of-two sizes, from
// 16 bytes up, each with an 8-byte header naming its size class; a freed
// block goes on its class's free list and the next allocation of that class
// takes it back. So frees really free: a page that runs for hours holds at
// most, per class, the most blocks that class ever had live at once (and at
// most twice what was asked for in each). Memory is taken from the end of
// the heap with memory.grow and never given back (wasm cannot shrink).
//
// The beacon's allocations are a handful of strings and vectors per event,
// freed when the event is delivered: they cycle through the same few
// classes. Single-threaded, as the page's main thread is.
#include <cstddef>
#include <cstdint>

extern "C" unsigned char __heap_base;  // the linker's end of data and stack

namespace {

constexpr std::size_t header = 8;  // keeps the payload 8-byte aligned
constexpr unsigned min_class = 4;  // 16 bytes, header included
constexpr std::size_t page = 65536;

struct free_block {
    free_block* next;
};

free_block* free_lists[32];
std::uintptr_t heap_top = 0;  // the first byte never handed out

}  // namespace

extern "C" {

void* malloc(std::size_t n) {
    if (n > (std::size_t{1} << 30)) return nullptr;
    // The smallest class 2^c that holds n bytes and the header.
    unsigned c = 32 - static_cast<unsigned>(__builtin_clz(static_cast<unsigned>(n + header - 1)));
    if (c < min_class) c = min_class;
    auto* block = reinterpret_cast<unsigned char*>(free_lists[c]);
    if (block != nullptr) {
        free_lists[c] = free_lists[c]->next;
        return block;
    }
    if (heap_top == 0) heap_top = (reinterpret_cast<std::uintptr_t>(&__heap_base) + 7) & ~7u;
    const std::uintptr_t end = heap_top + (std::uintptr_t{1} << c);
    const std::uintptr_t have = __builtin_wasm_memory_size(0) * page;
    if (end > have && __builtin_wasm_memory_grow(0, (end - have + page - 1) / page) < 0) {
        return nullptr;
    }
    block = reinterpret_cast<unsigned char*>(heap_top);
    heap_top = end;
    *reinterpret_cast<std::uint32_t*>(block) = c;
    return block + header;
}

void free(void* p) {
    if (p == nullptr) return;
    auto* block = static_cast<unsigned char*>(p);
    const auto c = *reinterpret_cast<std::uint32_t*>(block - header);
    auto* f = static_cast<free_block*>(p);
    f->next = free_lists[c];
    free_lists[c] = f;
}

}  // extern "C"
