/*
 * Unit tests for the write-ahead alert spool: records survive a close and a
 * crash (no close at all), acks release them, a torn tail is cut, and a full
 * spool drops the least severe, oldest alerts first and counts every one.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "output_spool.h"

struct fixture {
	char dir[64];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/ys-spool-test-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	DIR *d = opendir(f->dir);
	struct dirent *de;
	char p[512];

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", f->dir, de->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(f->dir);
	free(f);
	return 0;
}

static struct ys_spool *open_spool(const char *dir, uint64_t max, uint64_t seg)
{
	struct ys_spool_params p = {
		.dir = dir,
		.max_bytes = max,
		.segment_bytes = seg,
		.fsync = YS_SPOOL_FSYNC_NONE,
	};
	char err[256] = "";
	struct ys_spool *sp = ys_spool_open(&p, err, sizeof(err));

	if (!sp)
		fail_msg("ys_spool_open: %s", err);
	return sp;
}

static void append_n(struct ys_spool *sp, int sev, int from, int n, uint64_t *ids)
{
	char val[128];

	for (int i = 0; i < n; i++) {
		int len = snprintf(val, sizeof(val), "{\"n\":%d,\"pad\":\"%040d\"}", from + i, 0);
		uint64_t id = 0;

		assert_int_equal(ys_spool_append(sp, sev, 1000 + (uint64_t)(from + i), "tenant-a",
						 8, val, (size_t)len, false, &id),
				 0);
		assert_true(id != 0);
		if (ids)
			ids[i] = id;
	}
}

/* Take every queued record; return how many, and check they carry n = FROM.. in order. */
static int take_all(struct ys_spool *sp, int from, uint64_t *ids, bool check_order)
{
	static char buf[YS_SPOOL_MAX_RECORD];
	struct ys_spool_rec rec;
	int n = 0;

	while (ys_spool_next(sp, &rec, buf, sizeof(buf)) == 1) {
		char want[32];
		int wl = snprintf(want, sizeof(want), "{\"n\":%d,", from + n);

		assert_int_equal(rec.keylen, 8);
		assert_memory_equal(rec.key, "tenant-a", 8);
		if (check_order) {
			assert_true(rec.vallen > (size_t)wl);
			assert_memory_equal(rec.val, want, (size_t)wl);
			assert_int_equal(rec.detect_usec, 1000 + (uint64_t)(from + n));
		}
		if (ids)
			ids[n] = rec.id;
		n++;
	}
	return n;
}

static void test_recover_after_close(void **state)
{
	struct fixture *f = *state;
	struct ys_spool *sp = open_spool(f->dir, 1 << 20, 0);
	struct ys_spool_stats st;
	uint64_t ids[100];

	append_n(sp, 2, 0, 100, NULL);
	ys_spool_close(sp);

	sp = open_spool(f->dir, 1 << 20, 0);
	ys_spool_get_stats(sp, &st);
	assert_int_equal(st.recovered, 100);
	assert_int_equal(st.queued, 100);
	assert_int_equal(take_all(sp, 0, ids, true), 100);
	/* ack the first 60, sync, and "crash" (leak the handle: no close) */
	for (int i = 0; i < 60; i++)
		ys_spool_ack(sp, ids[i]);
	ys_spool_sync(sp, 0, NULL, 0);
	ys_spool_get_stats(sp, &st);
	assert_int_equal(st.records, 40);
	assert_int_equal(st.inflight, 40);

	{
		/* a second instance sees what a crashed one left: 40 unacked */
		struct ys_spool *sp2 = open_spool(f->dir, 1 << 20, 0);

		ys_spool_get_stats(sp2, &st);
		assert_int_equal(st.recovered, 40);
		assert_int_equal(take_all(sp2, 60, NULL, true), 40);
		ys_spool_close(sp2);
	}
	for (int i = 60; i < 100; i++)
		ys_spool_ack(sp, ids[i]);
	ys_spool_close(sp);

	sp = open_spool(f->dir, 1 << 20, 0);
	ys_spool_get_stats(sp, &st);
	assert_int_equal(st.recovered, 0);
	assert_int_equal(st.bytes, 0);
	ys_spool_close(sp);
}

static void test_nack_requeues_in_order(void **state)
{
	struct fixture *f = *state;
	struct ys_spool *sp = open_spool(f->dir, 1 << 20, 0);
	struct ys_spool_stats st;
	uint64_t ids[10];

	append_n(sp, 1, 0, 10, NULL);
	assert_int_equal(take_all(sp, 0, ids, true), 10);
	for (int i = 0; i < 10; i++)
		ys_spool_nack(sp, ids[i], false);
	ys_spool_get_stats(sp, &st);
	assert_int_equal(st.queued, 10);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(take_all(sp, 0, ids, true), 10);
	/* a replaced producer: everything in flight goes back to the queue */
	assert_int_equal(ys_spool_requeue_inflight(sp), 10);
	ys_spool_get_stats(sp, &st);
	assert_int_equal(st.inflight, 0);
	assert_int_equal(st.queued, 10);
	assert_int_equal(take_all(sp, 0, ids, true), 10);
	/* an undeliverable record is dropped and counted, not retried */
	ys_spool_nack(sp, ids[3], true);
	ys_spool_get_stats(sp, &st);
	assert_int_equal(st.dropped, 1);
	assert_int_equal(st.dropped_by_sev[1], 1);
	assert_int_equal(st.records, 9);
	ys_spool_close(sp);
}

static void test_torn_tail_truncated(void **state)
{
	struct fixture *f = *state;
	struct ys_spool *sp = open_spool(f->dir, 1 << 20, 0);
	struct ys_spool_stats st;
	struct dirent *de;
	char path[512] = "";
	DIR *d;
	int fd;

	append_n(sp, 3, 0, 20, NULL);
	ys_spool_close(sp);
	d = opendir(f->dir);
	while ((de = readdir(d)))
		if (strstr(de->d_name, ".spool"))
			snprintf(path, sizeof(path), "%s/%s", f->dir, de->d_name);
	closedir(d);
	assert_true(path[0]);
	/* half a record header, as a crash in the middle of writev leaves it */
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "\x59\x53\x52\x31\x40\x00\x00", 7), 7);
	close(fd);

	sp = open_spool(f->dir, 1 << 20, 0);
	ys_spool_get_stats(sp, &st);
	assert_int_equal(st.recovered, 20);
	assert_int_equal(take_all(sp, 0, NULL, true), 20);
	/* and appending after the cut produces readable records */
	append_n(sp, 3, 20, 5, NULL);
	assert_int_equal(take_all(sp, 20, NULL, true), 5);
	ys_spool_close(sp);
}

static void test_full_drops_low_severity_first(void **state)
{
	struct fixture *f = *state;
	/* 64 KiB bound, 8 KiB segments: ~100-byte records, ~80 per segment */
	struct ys_spool *sp = open_spool(f->dir, 64 << 10, 8 << 10);
	struct ys_spool_stats st;
	uint64_t id;
	int sev1 = 0, sev3 = 0, refused = 0;

	uint64_t sev1_dropped;
	char val[128];

	/* fill with severity 3 well past the bound */
	for (int i = 0; i < 2000; i++) {
		int len = snprintf(val, sizeof(val), "{\"n\":%d,\"pad\":\"%040d\"}", i, 0);

		assert_int_equal(ys_spool_append(sp, 3, 0, "t", 1, val, (size_t)len, false, &id),
				 0);
		sev3++;
	}
	ys_spool_get_stats(sp, &st);
	assert_true(st.bytes <= 64 << 10);
	assert_true(st.dropped > 0);
	assert_int_equal(st.dropped, st.dropped_by_sev[3]);
	assert_int_equal((uint64_t)sev3, st.records + st.dropped);

	/* severity 1 displaces severity 3, never the reverse */
	for (int i = 0; i < 300; i++) {
		int len = snprintf(val, sizeof(val), "{\"n\":%d,\"pad\":\"%040d\"}", i, 1);

		assert_int_equal(ys_spool_append(sp, 1, 0, "t", 1, val, (size_t)len, false, &id),
				 0);
		sev1++;
	}
	ys_spool_get_stats(sp, &st);
	assert_int_equal(st.dropped_by_sev[1], 0);
	assert_true(st.bytes <= 64 << 10);
	assert_int_equal((uint64_t)(sev1 + sev3), st.records + st.dropped);

	/* fill with severity 1 only; then a severity 3 alert is refused, not a severity 1 */
	for (int i = 0; i < 2000; i++) {
		int len = snprintf(val, sizeof(val), "{\"n\":%d,\"pad\":\"%040d\"}", i, 1);

		assert_int_equal(ys_spool_append(sp, 1, 0, "t", 1, val, (size_t)len, false, &id),
				 0);
		sev1++;
	}
	ys_spool_get_stats(sp, &st);
	assert_int_equal(st.dropped_by_sev[3], (uint64_t)sev3); /* every sev-3 is gone */
	sev1_dropped = st.dropped_by_sev[1]; /* older sev-1 made room for newer sev-1 */
	/* severity 3 alerts now only ever displace each other (or are refused when
	 * no severity 3/4 segment is left to delete); severity 1 is never touched */
	for (int i = 0; i < 400; i++) {
		int len = snprintf(val, sizeof(val), "{\"late\":%d,\"pad\":\"%040d\"}", i, 3);
		int rc = ys_spool_append(sp, 3, 0, "t", 1, val, (size_t)len, false, &id);

		assert_true(rc == 0 || rc == -ENOBUFS);
		refused += rc == -ENOBUFS;
	}
	ys_spool_get_stats(sp, &st);
	assert_true(st.bytes <= 64 << 10);
	assert_int_equal(st.dropped_by_sev[1], sev1_dropped);
	assert_true(st.dropped_by_sev[3] > (uint64_t)sev3);
	assert_true((uint64_t)refused <= st.dropped_by_sev[3] - (uint64_t)sev3);
	/* accounting is exact: every append is either held or counted as dropped */
	assert_int_equal((uint64_t)(sev1 + sev3 + 400), st.records + st.dropped);

	/* what survives a restart is exactly what was held */
	{
		uint64_t held = st.records;

		ys_spool_close(sp);
		sp = open_spool(f->dir, 64 << 10, 8 << 10);
		ys_spool_get_stats(sp, &st);
		assert_int_equal(st.recovered, held);
	}
	ys_spool_close(sp);
}

static void test_full_of_severe_refuses_newcomer(void **state)
{
	struct fixture *f = *state;
	struct ys_spool *sp = open_spool(f->dir, 64 << 10, 8 << 10);
	struct ys_spool_stats st;
	uint64_t id, held;
	char val[128];
	int len = snprintf(val, sizeof(val), "{\"pad\":\"%060d\"}", 0);

	/* fill with severity 1 right up to the bound, without dropping any */
	for (;;) {
		ys_spool_get_stats(sp, &st);
		if (st.bytes + YS_SPOOL_REC_HDR + 1 + (uint64_t)len > (64 << 10))
			break;
		assert_int_equal(ys_spool_append(sp, 1, 0, "t", 1, val, (size_t)len, false, &id),
				 0);
	}
	assert_int_equal(st.dropped, 0);
	held = st.records;
	assert_int_equal(ys_spool_append(sp, 3, 0, "t", 1, val, (size_t)len, false, &id), -ENOBUFS);
	ys_spool_get_stats(sp, &st);
	assert_int_equal(st.records, held);
	assert_int_equal(st.dropped, 1);
	assert_int_equal(st.dropped_by_sev[3], 1);
	/* a severity 1 newcomer displaces the oldest severity 1 segment instead */
	assert_int_equal(ys_spool_append(sp, 1, 0, "t", 1, val, (size_t)len, false, &id), 0);
	ys_spool_get_stats(sp, &st);
	assert_true(st.dropped_by_sev[1] > 0);
	assert_int_equal(held + 1, st.records + st.dropped_by_sev[1]);
	ys_spool_close(sp);
}

static void test_inflight_of_dropped_segment(void **state)
{
	struct fixture *f = *state;
	struct ys_spool *sp = open_spool(f->dir, 64 << 10, 8 << 10);
	struct ys_spool_stats st;
	uint64_t first[4], id;
	char val[128];

	/* four in-flight severity-4 records in the oldest segment */
	for (int i = 0; i < 4; i++) {
		int len = snprintf(val, sizeof(val), "{\"n\":%d,\"pad\":\"%040d\"}", i, 0);

		assert_int_equal(
			ys_spool_append(sp, 4, 0, "t", 1, val, (size_t)len, true, &first[i]), 0);
	}
	/* push severity 2 until the severity-4 segment is deleted */
	for (int i = 0; i < 2000; i++) {
		int len = snprintf(val, sizeof(val), "{\"n\":%d,\"pad\":\"%040d\"}", i, 2);

		assert_int_equal(ys_spool_append(sp, 2, 0, "t", 1, val, (size_t)len, false, &id),
				 0);
	}
	ys_spool_get_stats(sp, &st);
	assert_int_equal(st.dropped_by_sev[4], 0); /* in flight is not yet lost */
	assert_int_equal(st.inflight, 4);
	ys_spool_ack(sp, first[0]); /* delivered after all */
	ys_spool_ack(sp, first[1]);
	ys_spool_nack(sp, first[2], false); /* cannot be re-sent: bytes are gone */
	ys_spool_nack(sp, first[3], false);
	ys_spool_get_stats(sp, &st);
	assert_int_equal(st.inflight, 0);
	assert_int_equal(st.dropped_by_sev[4], 2);
	assert_int_equal(st.acked, 2);
	ys_spool_close(sp);
}

static void test_bad_dir(void **state)
{
	struct ys_spool_params p = { .dir = "/proc/ys-no-such/spool", .max_bytes = 1 << 20 };
	char err[256] = "";

	(void)state;
	assert_null(ys_spool_open(&p, err, sizeof(err)));
	assert_non_null(strstr(err, "/proc/ys-no-such/spool"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_recover_after_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nack_requeues_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_tail_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_drops_low_severity_first, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_full_of_severe_refuses_newcomer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_inflight_of_dropped_segment, setup, teardown),
		cmocka_unit_test(test_bad_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
