/*
 * The parts of an EVE record that sensor and ingest must compute identically:
 * UUIDv7 event ids, EVE timestamps and Community ID v1 flow hashes.
 * (Schema validation is in ys_event_validate.c.)
 */
#include "ys_event.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <openssl/sha.h>

/*
 * Random bytes for event ids come from a per-thread pool refilled by
 * getrandom(2), so that an alert flood costs one syscall per 25 ids rather
 * than one each.
 */
static _Thread_local uint8_t ys_rnd_pool[250];
static _Thread_local size_t ys_rnd_left;

static void ys_random_bytes(uint8_t *out, size_t n)
{
	while (n) {
		if (ys_rnd_left == 0) {
			size_t got = 0;

			while (got < sizeof(ys_rnd_pool)) {
				ssize_t r =
					getrandom(ys_rnd_pool + got, sizeof(ys_rnd_pool) - got, 0);

				if (r < 0) {
					if (errno == EINTR)
						continue;
					/* No entropy source at all: fall back to clock jitter rather
					 * than emit ids that collide. */
					struct timespec ts;

					clock_gettime(CLOCK_MONOTONIC, &ts);
					for (size_t i = got; i < sizeof(ys_rnd_pool); i++)
						ys_rnd_pool[i] = (uint8_t)((uint64_t)ts.tv_nsec >>
									   (i % 7 * 8)) ^
								 (uint8_t)(i * 131);
					break;
				}
				got += (size_t)r;
			}
			ys_rnd_left = sizeof(ys_rnd_pool);
		}
		size_t take = n < ys_rnd_left ? n : ys_rnd_left;

		memcpy(out, ys_rnd_pool + sizeof(ys_rnd_pool) - ys_rnd_left, take);
		ys_rnd_left -= take;
		out += take;
		n -= take;
	}
}

void ys_uuid7_from(uint64_t unix_ms, const uint8_t rnd[10], char out[YS_UUID_STR_LEN])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t u[16];
	size_t o = 0;

	for (int i = 0; i < 6; i++)
		u[i] = (uint8_t)(unix_ms >> (40 - 8 * i));
	memcpy(u + 6, rnd, 10);
	u[6] = (uint8_t)(0x70 | (u[6] & 0x0f)); /* version 7 */
	u[8] = (uint8_t)(0x80 | (u[8] & 0x3f)); /* variant 10 */
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[u[i] >> 4];
		out[o++] = hex[u[i] & 15];
	}
	out[o] = '\0';
}

void ys_uuid7(char out[YS_UUID_STR_LEN])
{
	struct timespec ts;
	uint8_t rnd[10];

	clock_gettime(CLOCK_REALTIME, &ts);
	ys_random_bytes(rnd, sizeof(rnd));
	ys_uuid7_from((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000, rnd, out);
}

bool ys_uuid_valid(const char *s)
{
	if (!s || strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)s[i])) {
			return false;
		}
	}
	return true;
}

void ys_eve_timestamp(uint64_t ts_usec, char out[YS_EVE_TS_LEN])
{
	time_t sec = (time_t)(ts_usec / 1000000);
	struct tm tm;
	size_t n;

	gmtime_r(&sec, &tm);
	n = strftime(out, YS_EVE_TS_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, YS_EVE_TS_LEN - n, ".%06u+0000", (unsigned)(ts_usec % 1000000));
}

static int ys_parse_digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -EINVAL;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

int ys_eve_timestamp_parse(const char *s, uint64_t *ts_usec)
{
	int year, mon, day, hour, min, sec, oh = 0, om = 0;
	uint64_t frac = 0;
	int64_t offset = 0;
	struct tm tm = { 0 };
	const char *p = s;
	time_t t;

	if (!s || ys_parse_digits(&p, 4, &year) || *p++ != '-' || ys_parse_digits(&p, 2, &mon) ||
	    *p++ != '-' || ys_parse_digits(&p, 2, &day) || (*p != 'T' && *p != ' '))
		return -EINVAL;
	p++;
	if (ys_parse_digits(&p, 2, &hour) || *p++ != ':' || ys_parse_digits(&p, 2, &min) ||
	    *p++ != ':' || ys_parse_digits(&p, 2, &sec))
		return -EINVAL;
	if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
		return -EINVAL;
	if (*p == '.') {
		int digits = 0;

		p++;
		while (isdigit((unsigned char)*p)) {
			if (digits < 6) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				digits++;
			}
			p++;
		}
		if (digits == 0)
			return -EINVAL;
		while (digits++ < 6)
			frac *= 10;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1;

		p++;
		if (ys_parse_digits(&p, 2, &oh))
			return -EINVAL;
		if (*p == ':')
			p++;
		if (ys_parse_digits(&p, 2, &om) || oh > 23 || om > 59)
			return -EINVAL;
		offset = sign * (oh * 3600 + om * 60);
	} else {
		return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1 || (int64_t)t - offset < 0)
		return -EINVAL;
	*ts_usec = (uint64_t)((int64_t)t - offset) * 1000000 + frac;
	return 0;
}

/*
 * ICMP types that have a reply counterpart: Community ID treats such a pair as
 * a two-way flow with the counterpart type in the "destination port" slot.
 */
static bool ys_icmp_counterpart(uint8_t proto, uint8_t type, uint8_t *peer)
{
	static const uint8_t v4[][2] = {
		{ 8, 0 },   { 0, 8 },  { 13, 14 }, { 14, 13 }, { 15, 16 },
		{ 16, 15 }, { 10, 9 }, { 9, 10 },  { 17, 18 }, { 18, 17 }
	};
	static const uint8_t v6[][2] = { { 128, 129 }, { 129, 128 }, { 133, 134 }, { 134, 133 },
					 { 135, 136 }, { 136, 135 }, { 130, 131 }, { 131, 130 },
					 { 144, 145 }, { 145, 144 } };
	const uint8_t(*map)[2] = proto == 1 ? v4 : v6;
	size_t n = proto == 1 ? sizeof(v4) / sizeof(v4[0]) : sizeof(v6) / sizeof(v6[0]);

	for (size_t i = 0; i < n; i++) {
		if (map[i][0] == type) {
			*peer = map[i][1];
			return true;
		}
	}
	return false;
}

void ys_community_id(uint8_t family, const uint8_t *saddr, const uint8_t *daddr, uint8_t proto,
		     uint16_t sport, uint16_t dport, char out[YS_COMMUNITY_ID_STR_LEN])
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t alen = family == 6 ? 16 : 4;
	uint8_t buf[2 + 16 + 16 + 4 + 4], digest[SHA_DIGEST_LENGTH];
	bool one_way = false;
	size_t n = 0, o = 0;

	if (proto == 1 || proto == 58) {
		uint8_t type = (uint8_t)sport, peer;

		if (ys_icmp_counterpart(proto, type, &peer)) {
			dport = peer;
		} else {
			one_way = true;
		}
	}
	if (!one_way) {
		int c = memcmp(saddr, daddr, alen);

		if (c > 0 || (c == 0 && sport > dport)) {
			const uint8_t *ta = saddr;
			uint16_t tp = sport;

			saddr = daddr;
			daddr = ta;
			sport = dport;
			dport = tp;
		}
	}
	buf[n++] = 0; /* seed 0, big endian */
	buf[n++] = 0;
	memcpy(buf + n, saddr, alen);
	n += alen;
	memcpy(buf + n, daddr, alen);
	n += alen;
	buf[n++] = proto;
	buf[n++] = 0;
	if (proto != 1 && proto != 6 && proto != 17 && proto != 58 && proto != 132)
		goto hash; /* port-less protocols hash addresses and protocol only */
	buf[n++] = (uint8_t)(sport >> 8);
	buf[n++] = (uint8_t)sport;
	buf[n++] = (uint8_t)(dport >> 8);
	buf[n++] = (uint8_t)dport;
hash:
	SHA1(buf, n, digest);

	out[o++] = '1';
	out[o++] = ':';
	for (size_t i = 0; i < sizeof(digest); i += 3) {
		uint32_t v = (uint32_t)digest[i] << 16;
		size_t rem = sizeof(digest) - i;

		if (rem > 1)
			v |= (uint32_t)digest[i + 1] << 8;
		if (rem > 2)
			v |= digest[i + 2];
		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = rem > 1 ? b64[(v >> 6) & 63] : '=';
		out[o++] = rem > 2 ? b64[v & 63] : '=';
	}
	out[o] = '\0';
}
