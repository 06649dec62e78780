/*
 * JSON arenas (see json_arena.h): a registry of arena address ranges that
 * jansson's free function consults, and a thread-local current arena that
 * its malloc function serves from.
 *
 * Counting: allocs is written only by the thread that has the arena entered;
 * frees may come from any thread, so it is atomic. reset() runs when the
 * owner knows the batch's trees are released (after joining the parser
 * threads), and compares the two.
 */
#include "json_arena.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <jansson.h>

#include "ys_log.h"

#if defined(__SANITIZE_ADDRESS__)
#define YS_JA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define YS_JA_ASAN 1
#endif
#endif
#ifdef YS_JA_ASAN
#include <sanitizer/asan_interface.h>
#define YS_JA_POISON(p, n)   ASAN_POISON_MEMORY_REGION((p), (n))
#define YS_JA_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define YS_JA_POISON(p, n)   ((void)(p), (void)(n))
#define YS_JA_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define YS_JA_SLOTS 32 /* arenas alive at once in the process (two per pipeline) */
#define YS_JA_ALIGN 16

struct ys_json_arena {
	char *base;
	size_t cap, used;
	bool full; /* a live tree kept it at reset: serve nothing more */
	uint64_t allocs, fallbacks;
	_Atomic uint64_t frees;
	size_t slot;
};

static struct ys_json_arena *_Atomic ys_ja_slots[YS_JA_SLOTS];
/* slots ever used: every jansson free scans only these (usually two) */
static _Atomic size_t ys_ja_nslots;
static _Thread_local struct ys_json_arena *ys_ja_cur;
static pthread_once_t ys_ja_once = PTHREAD_ONCE_INIT;

static void *ys_ja_malloc(size_t n)
{
	struct ys_json_arena *a = ys_ja_cur;
	size_t need = (n + YS_JA_ALIGN - 1) & ~(size_t)(YS_JA_ALIGN - 1);
	void *p;

	if (!a || a->full || need < n || need > a->cap - a->used) {
		if (a)
			a->fallbacks++;
		return malloc(n);
	}
	p = a->base + a->used;
	a->used += need;
	a->allocs++;
	YS_JA_UNPOISON(p, n);
	return p;
}

static void ys_ja_free(void *p)
{
	const char *c = p;
	size_t n = atomic_load_explicit(&ys_ja_nslots, memory_order_acquire);

	if (!p)
		return;
	for (size_t i = 0; i < n; i++) {
		struct ys_json_arena *a =
			atomic_load_explicit(&ys_ja_slots[i], memory_order_acquire);

		if (a && c >= a->base && c < a->base + a->cap) {
			atomic_fetch_add_explicit(&a->frees, 1, memory_order_relaxed);
			return;
		}
	}
	free(p);
}

static void ys_ja_set_funcs(void)
{
	json_set_alloc_funcs(ys_ja_malloc, ys_ja_free);
}

void ys_json_arena_install(void)
{
	pthread_once(&ys_ja_once, ys_ja_set_funcs);
}

struct ys_json_arena *ys_json_arena_new(size_t cap)
{
	struct ys_json_arena *a = calloc(1, sizeof(*a));
	size_t i;

	if (!a)
		goto out_nomem;
	a->cap = (cap + YS_JA_ALIGN - 1) & ~(size_t)(YS_JA_ALIGN - 1);
	a->base = aligned_alloc(YS_JA_ALIGN, a->cap);
	if (!a->base)
		goto out_free_arena;
	YS_JA_POISON(a->base, a->cap);
	for (i = 0; i < YS_JA_SLOTS; i++) {
		struct ys_json_arena *none = NULL;

		if (atomic_compare_exchange_strong(&ys_ja_slots[i], &none, a))
			break;
	}
	if (i == YS_JA_SLOTS) {
		errno = EMFILE;
		goto out_free_base;
	}
	a->slot = i;
	/* raise the high-water mark after the slot is set (a racing free scans no further) */
	for (size_t hw = atomic_load(&ys_ja_nslots); hw < i + 1;)
		if (atomic_compare_exchange_weak(&ys_ja_nslots, &hw, i + 1))
			break;
	return a;

out_free_base:
	YS_JA_UNPOISON(a->base, a->cap);
	free(a->base);
out_free_arena:
	free(a);
	return NULL;
out_nomem:
	errno = ENOMEM;
	return NULL;
}

static bool ys_ja_idle(struct ys_json_arena *a)
{
	return atomic_load_explicit(&a->frees, memory_order_acquire) == a->allocs;
}

void ys_json_arena_free(struct ys_json_arena *a)
{
	if (!a)
		return;
	if (ys_ja_cur == a)
		ys_ja_cur = NULL;
	if (!ys_ja_idle(a)) {
		/* Trees still point into it: keep it registered so their frees find it. */
		ys_warn("ingest", "json arena freed with %llu live allocations; kept",
			(unsigned long long)(a->allocs - atomic_load(&a->frees)));
		a->full = true;
		return;
	}
	atomic_store_explicit(&ys_ja_slots[a->slot], NULL, memory_order_release);
	YS_JA_UNPOISON(a->base, a->cap);
	free(a->base);
	free(a);
}

bool ys_json_arena_reset(struct ys_json_arena *a)
{
	if (a->full)
		return false;
	if (!ys_ja_idle(a)) {
		ys_warn("ingest", "json arena: %llu allocations still live at reset; arena retired",
			(unsigned long long)(a->allocs - atomic_load(&a->frees)));
		a->full = true;
		return false;
	}
	YS_JA_POISON(a->base, a->used);
	a->used = 0;
	return true;
}

void ys_json_arena_enter(struct ys_json_arena *a)
{
	ys_ja_cur = a;
}

void ys_json_arena_leave(void)
{
	ys_ja_cur = NULL;
}

void ys_json_arena_get_stats(const struct ys_json_arena *a, struct ys_json_arena_stats *st)
{
	st->used = a->used;
	st->cap = a->cap;
	st->allocs = a->allocs;
	st->frees = atomic_load(&a->frees);
	st->fallbacks = a->fallbacks;
}
