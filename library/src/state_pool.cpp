#include "cf/detail/state_pool.hpp"

#include <sanitizer/asan_interface.h>

#include <array>
#include <mutex>
#include <new>
#include <utility>

namespace cf::detail {
namespace {

constexpr std::size_t kClasses = kLargestPooledBlock / kPoolGranule;
// Blocks move between a thread's cache and the shared list this many at a time: one lock per batch.
constexpr std::size_t kBatch = 64;
// The shared list keeps at most this much memory per size class; beyond it blocks go back to malloc.
constexpr std::size_t kSharedBytesPerClass = std::size_t{64} << 20;

/// The first bytes of a free block link it to the others (the rest is poisoned under ASan, so a
/// use after the state was freed is still reported).
struct FreeBlock {
  FreeBlock* next;        // in its batch
  FreeBlock* next_batch;  // in the shared list, on a batch's first block
};

// Blocks start on a cache line: a 64-byte state then takes one line, not two.
constexpr std::align_val_t kBlockAlignment{64};

constexpr std::size_t class_of(std::size_t size) noexcept { return (size - 1) / kPoolGranule; }
constexpr std::size_t block_size(std::size_t size_class) noexcept { return (size_class + 1) * kPoolGranule; }

void mark_free(FreeBlock* block, std::size_t size_class) noexcept {
  ASAN_POISON_MEMORY_REGION(reinterpret_cast<char*>(block) + sizeof(FreeBlock),
                            block_size(size_class) - sizeof(FreeBlock));
}

void mark_used(void* block, std::size_t size_class) noexcept {
  ASAN_UNPOISON_MEMORY_REGION(block, block_size(size_class));
}

void release_chain(FreeBlock* chain, std::size_t size_class) noexcept {
  while (chain != nullptr) {
    FreeBlock* next = chain->next;
    mark_used(chain, size_class);
    ::operator delete(chain, block_size(size_class), kBlockAlignment);
    chain = next;
  }
}

struct SharedList {
  std::mutex mutex;
  FreeBlock* batches = nullptr;  // full batches, linked by next_batch
  std::size_t batch_count = 0;
};

/// Never destroyed: threads may still give blocks back while the program exits.
SharedList& shared_list(std::size_t size_class) {
  static std::array<SharedList, kClasses>* const lists = new std::array<SharedList, kClasses>();
  return (*lists)[size_class];
}

FreeBlock* take_shared_batch(std::size_t size_class) {
  SharedList& shared = shared_list(size_class);
  std::lock_guard lock(shared.mutex);
  FreeBlock* batch = shared.batches;
  if (batch != nullptr) {
    shared.batches = batch->next_batch;
    --shared.batch_count;
  }
  return batch;
}

void give_shared_batch(FreeBlock* batch, std::size_t size_class) noexcept {
  SharedList& shared = shared_list(size_class);
  {
    std::lock_guard lock(shared.mutex);
    if ((shared.batch_count + 1) * kBatch * block_size(size_class) <= kSharedBytesPerClass) {
      batch->next_batch = shared.batches;
      shared.batches = batch;
      ++shared.batch_count;
      return;
    }
  }
  release_chain(batch, size_class);
}

/// A thread's own blocks: `current` fills up to kBatch blocks, then becomes `full`, which goes to
/// the shared list when the next batch fills. Trivially destructible, so it is usable until the
/// thread ends; CacheCloser hands its blocks back when the thread exits.
struct ThreadCache {
  struct SizeClass {
    FreeBlock* current;
    std::size_t current_count;
    FreeBlock* full;
  };
  std::array<SizeClass, kClasses> classes;
  bool closer_registered;
  bool closed;  // the thread is exiting: blocks go straight to and from operator new
};

constinit thread_local ThreadCache cache{};

struct CacheCloser {
  CacheCloser() noexcept {}  // NOLINT: user-provided, so the thread's first use registers the destructor
  CacheCloser(const CacheCloser&) = delete;
  CacheCloser& operator=(const CacheCloser&) = delete;
  ~CacheCloser() {
    cache.closed = true;
    for (std::size_t size_class = 0; size_class < kClasses; ++size_class) {
      ThreadCache::SizeClass& own = cache.classes[size_class];
      if (own.full != nullptr) give_shared_batch(std::exchange(own.full, nullptr), size_class);
      if (own.current_count == kBatch) {
        give_shared_batch(own.current, size_class);
      } else {
        release_chain(own.current, size_class);
      }
      own.current = nullptr;
      own.current_count = 0;
    }
  }
  void keep() noexcept {}
};

thread_local CacheCloser closer;

/// Call before the thread's cache holds a block, so that the blocks go back when the thread ends.
void register_closer() noexcept {
  if (!cache.closer_registered) {
    cache.closer_registered = true;
    closer.keep();
  }
}

}  // namespace

void* take_pooled_block(std::size_t size) {
  const std::size_t size_class = class_of(size);
  ThreadCache::SizeClass& own = cache.classes[size_class];
  if (own.current == nullptr) {
    FreeBlock* batch = cache.closed ? nullptr : std::exchange(own.full, nullptr);
    if (batch == nullptr && !cache.closed) {
      register_closer();
      batch = take_shared_batch(size_class);
    }
    if (batch == nullptr) return ::operator new(block_size(size_class), kBlockAlignment);
    own.current = batch;
    own.current_count = kBatch;
  }
  FreeBlock* block = own.current;
  own.current = block->next;
  --own.current_count;
  mark_used(block, size_class);
  return block;
}

void give_pooled_block(void* block, std::size_t size) noexcept {
  const std::size_t size_class = class_of(size);
  if (cache.closed) {
    ::operator delete(block, block_size(size_class), kBlockAlignment);
    return;
  }
  register_closer();
  ThreadCache::SizeClass& own = cache.classes[size_class];
  if (own.current_count == kBatch) {
    if (own.full != nullptr) give_shared_batch(own.full, size_class);
    own.full = std::exchange(own.current, nullptr);
    own.current_count = 0;
  }
  auto* free_block = static_cast<FreeBlock*>(block);
  free_block->next = own.current;
  own.current = free_block;
  ++own.current_count;
  mark_free(free_block, size_class);
}

}  // namespace cf::detail
