/*
 * Bump-pointer arenas for the JSON trees of one batch. Parsing an alert with
 * jansson makes some 60-80 small allocations (every object, string, number
 * and hash bucket) that all die together when the batch is done; through
 * malloc/free they cost about a fifth of the ingest's CPU. Inside an arena an
 * allocation is a pointer bump and a free is a counter increment.
 *
 * jansson takes one pair of allocation functions for the whole process
 * (json_set_alloc_funcs), so ys_json_arena_install() sets a pair that
 * allocates from the calling thread's current arena (ys_json_arena_enter)
 * and from malloc otherwise, and frees by address: a pointer inside a
 * registered arena is counted, any other goes to free(). Installing is
 * therefore safe at any time, also with live trees made by malloc.
 *
 * An arena is reused only when everything allocated in it has been freed
 * (ys_json_arena_reset() checks the counts); a tree still referenced keeps
 * its arena, which then serves no more allocations: a forgotten reference
 * costs memory, never a use after free. A full arena falls back to malloc.
 *
 * Threading: an arena is entered by one thread at a time; its trees may be
 * freed from any thread. Under ASan the free space of an arena is poisoned,
 * so a use after reset is still reported.
 */
#ifndef YS_INGEST_JSON_ARENA_H
#define YS_INGEST_JSON_ARENA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ys_json_arena;

/* Route jansson's allocations through the arenas (idempotent, thread-safe). */
void ys_json_arena_install(void);

/* An arena of CAP bytes; NULL + errno when memory is short or all registry slots are taken. */
struct ys_json_arena *ys_json_arena_new(size_t cap);
/* Frees A when nothing in it is live; otherwise A is kept for the trees still using it. */
void ys_json_arena_free(struct ys_json_arena *a);

/* Make A's space reusable. False when some allocation in it is still live (A stays full). */
bool ys_json_arena_reset(struct ys_json_arena *a);

/* jansson allocations of this thread come from A until ys_json_arena_leave(). */
void ys_json_arena_enter(struct ys_json_arena *a);
void ys_json_arena_leave(void);

struct ys_json_arena_stats {
	size_t used, cap;
	uint64_t allocs, frees, fallbacks; /* fallbacks: served by malloc, the arena being full */
};

void ys_json_arena_get_stats(const struct ys_json_arena *a, struct ys_json_arena_stats *st);

#endif /* YS_INGEST_JSON_ARENA_H */
