/*
 * SSH: the identification line each side sends first,
 * "SSH-<protoversion>-<softwareversion>[ SP comments]\r\n" (RFC 4253 4.2).
 * ssh.proto is the protoversion ("2.0"), ssh.software the softwareversion up
 * to the first space. The line is gathered across segments (at most 255
 * bytes, as the RFC allows); after both banners the parser has nothing to do.
 */
#include "applayer_int.h"

#include <errno.h>

#define YS_SSH_BANNER_MAX 255

struct ys_ssh_banner {
	char line[YS_SSH_BANNER_MAX + 1];
	uint16_t len;
	bool done;
	uint16_t proto_off, proto_len, sw_off, sw_len;
};

struct ys_ssh_state {
	struct ys_ssh_banner b[2];
};

static void *ssh_new(struct ys_applayer_ctx *ctx, const struct ys_flow *f)
{
	return calloc(1, sizeof(struct ys_ssh_state));
}

static void ssh_free(void *st)
{
	free(st);
}

/* Split a complete banner; false when it is not an SSH identification line. */
static bool banner_split(struct ys_ssh_banner *b)
{
	const char *l = b->line, *dash, *end;

	if (b->len < 4 || memcmp(l, "SSH-", 4) != 0)
		return false;
	dash = memchr(l + 4, '-', b->len - 4);
	if (!dash)
		return false;
	b->proto_off = 4;
	b->proto_len = (uint16_t)(dash - (l + 4));
	b->sw_off = (uint16_t)(dash + 1 - l);
	end = l + b->len;
	for (const char *p = dash + 1; p < l + b->len; p++)
		if (*p == ' ' || *p == '\r' || *p == '\n') {
			end = p;
			break;
		}
	b->sw_len = (uint16_t)(end - (dash + 1));
	return true;
}

static void add_buffers(const struct ys_ssh_state *s, struct ys_inspect *in)
{
	for (int dir = 0; dir < 2; dir++) {
		const struct ys_ssh_banner *b = &s->b[dir];
		uint16_t fl = dir ? YS_BUF_F_TO_CLIENT : YS_BUF_F_TO_SERVER;

		if (!b->done || !b->proto_len)
			continue;
		ys_inspect_add(in, YS_BUF_SSH_PROTO, (const uint8_t *)b->line + b->proto_off,
			       b->proto_len, fl, 0);
		if (b->sw_len)
			ys_inspect_add(in, YS_BUF_SSH_SOFTWARE,
				       (const uint8_t *)b->line + b->sw_off, b->sw_len, fl, 0);
	}
}

static int ssh_parse(struct ys_applayer_ctx *ctx, void *st, int dir, const uint8_t *d, uint32_t len,
		     uint32_t flags, uint64_t ts, struct ys_inspect *in)
{
	struct ys_ssh_state *s = st;
	struct ys_ssh_banner *b = &s->b[dir ? 1 : 0];
	const uint8_t *nl;
	uint32_t take;

	if (b->done || !d || !len)
		return 0;
	nl = memchr(d, '\n', len);
	take = nl ? (uint32_t)(nl - d) : len;
	if (take > (uint32_t)(YS_SSH_BANNER_MAX - b->len))
		take = YS_SSH_BANNER_MAX - b->len;
	memcpy(b->line + b->len, d, take);
	b->len = (uint16_t)(b->len + take);
	if (!nl && b->len < YS_SSH_BANNER_MAX)
		return 0;
	while (b->len && (b->line[b->len - 1] == '\r'))
		b->len--;
	b->line[b->len] = 0;
	b->done = true;
	if (banner_split(b)) {
		ctx->st.ssh_banners++;
		add_buffers(s, in);
	}
	return 0;
}

static int ssh_eve(const void *st, uint64_t tx_id, json_t *obj)
{
	const struct ys_ssh_state *s = st;
	json_t *o = json_object();
	static const char *const side[2] = { "client", "server" };

	if (!o)
		return -ENOMEM;
	for (int dir = 0; dir < 2; dir++) {
		const struct ys_ssh_banner *b = &s->b[dir];

		if (!b->done || !b->proto_len)
			continue;
		json_object_set_new(o, side[dir],
				    json_pack("{s:s%, s:s%}", "proto_version",
					      b->line + b->proto_off, (size_t)b->proto_len,
					      "software_version", b->line + b->sw_off,
					      (size_t)b->sw_len));
	}
	if (json_object_size(o) == 0) {
		json_decref(o);
		return -ENOENT;
	}
	json_object_set_new(obj, "ssh", o);
	return 0;
}

const struct ys_app_parser ys_app_ssh_parser = {
	.proto = YS_APP_SSH,
	.state_new = ssh_new,
	.state_free = ssh_free,
	.parse = ssh_parse,
	.eve = ssh_eve,
};
