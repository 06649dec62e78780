/*
 * DNS over UDP (one message per datagram) and TCP (two-byte length prefix,
 * messages may span segments): questions and answers, names decompressed with
 * loop protection (a bounded number of pointer jumps, each strictly backwards
 * from the label that holds it is NOT required, but the jump count is, so a
 * cycle ends after YS_DNS_MAX_JUMPS). Every read is bounds-checked.
 *
 * Transactions: a query opens a tx; a response with the same DNS id as the
 * last open query shares its tx id (as Suricata pairs them), else gets its own.
 * Buffers: dns.query, one per question name of a request.
 */
#include "applayer_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>

#define YS_DNS_MAX_JUMPS 16
#define YS_DNS_TCP_MAX	 65535
#define YS_DNS_RING	 4 /* messages kept per flow: buffers of one call point into them */

struct ys_dns_state {
	bool udp;
	uint64_t tx_next;
	bool query_open;
	uint16_t query_id;
	uint64_t query_tx;
	/* Parsed messages, newest at ring[(head - 1) % RING]; tx id per slot. */
	struct ys_dns_msg *ring[YS_DNS_RING];
	uint64_t ring_tx[YS_DNS_RING];
	unsigned head, used;
	uint64_t gen;	       /* ctx->gen of the packet that filled ring slots last */
	unsigned gen_msgs;     /* messages parsed for that packet (<= YS_DNS_RING) */
	struct ys_dbuf tcp[2]; /* partial TCP message per direction */
};

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Append S (N bytes) + NUL to the arena; the offset, or -1 when full. */
static int arena_put(struct ys_dns_msg *m, const char *s, size_t n)
{
	int off = m->arena_len;

	if ((size_t)m->arena_len + n + 1 > sizeof(m->arena))
		return -1;
	memcpy(m->arena + off, s, n);
	m->arena[off + n] = 0;
	m->arena_len = (uint16_t)(m->arena_len + n + 1);
	return off;
}

/*
 * Read the name at *POS of MSG into OUT (dotted, at most 255 chars); *POS moves
 * past the name as it sits in the record (not past pointer targets).
 */
static int read_name(const uint8_t *msg, uint32_t len, uint32_t *pos, char *out, size_t outlen,
		     size_t *outn)
{
	uint32_t p = *pos, end_pos = 0;
	unsigned jumps = 0;
	size_t n = 0;
	bool jumped = false;

	for (;;) {
		uint8_t l;

		if (p >= len)
			return -EINVAL;
		l = msg[p];
		if (l == 0) {
			p++;
			break;
		}
		if ((l & 0xc0) == 0xc0) {
			if (p + 1 >= len || ++jumps > YS_DNS_MAX_JUMPS)
				return -EINVAL;
			if (!jumped) {
				end_pos = p + 2;
				jumped = true;
			}
			p = (uint32_t)((l & 0x3f) << 8 | msg[p + 1]);
			continue;
		}
		if (l & 0xc0) /* 0x40/0x80: extended label types, not supported */
			return -EINVAL;
		if (p + 1 + l > len)
			return -EINVAL;
		if (n + (n ? 1 : 0) + l >= outlen || n + l + 1 > 255)
			return -EINVAL;
		if (n)
			out[n++] = '.';
		memcpy(out + n, msg + p + 1, l);
		n += l;
		p += 1 + l;
	}
	out[n] = 0;
	*outn = n;
	*pos = jumped ? end_pos : p;
	return 0;
}

static void rdata_text(struct ys_dns_msg *m, struct ys_dns_rr *rr, const uint8_t *msg, uint32_t len,
		       uint32_t rdpos, uint16_t rdlen)
{
	char txt[256];
	size_t n = 0;
	uint32_t p = rdpos;
	int off = -1;

	switch (rr->type) {
	case 1: /* A */
		if (rdlen == 4 && inet_ntop(AF_INET, msg + rdpos, txt, sizeof(txt)))
			off = arena_put(m, txt, strlen(txt));
		break;
	case 28: /* AAAA */
		if (rdlen == 16 && inet_ntop(AF_INET6, msg + rdpos, txt, sizeof(txt)))
			off = arena_put(m, txt, strlen(txt));
		break;
	case 2:	 /* NS */
	case 5:	 /* CNAME */
	case 12: /* PTR */
	case 15: /* MX: preference first */
		if (rr->type == 15)
			p += 2;
		if (p < rdpos + rdlen && read_name(msg, len, &p, txt, sizeof(txt), &n) == 0)
			off = arena_put(m, txt, n);
		break;
	case 16: /* TXT: first string */
		if (rdlen >= 1 && msg[rdpos] + 1u <= rdlen)
			off = arena_put(m, (const char *)msg + rdpos + 1, msg[rdpos]);
		break;
	default:
		break;
	}
	if (off >= 0) {
		rr->data_off = (uint16_t)off;
		rr->data_len = (uint16_t)strlen(m->arena + off);
	}
}

int ys_dns_parse(const uint8_t *msg, uint32_t len, struct ys_dns_msg *m)
{
	uint32_t pos = 12;
	uint16_t ns, ar;
	char name[256];
	size_t n;

	memset(m, 0, offsetof(struct ys_dns_msg, arena));
	m->arena_len = 0;
	if (len < 12)
		return -EINVAL;
	m->id = rd16(msg);
	m->flags = rd16(msg + 2);
	m->qdcount = rd16(msg + 4);
	m->ancount = rd16(msg + 6);
	ns = rd16(msg + 8);
	ar = rd16(msg + 10);
	(void)ns;
	(void)ar;
	for (unsigned i = 0; i < m->qdcount; i++) {
		struct ys_dns_rr rr = { 0 };
		int off;

		if (read_name(msg, len, &pos, name, sizeof(name), &n) < 0 || pos + 4 > len)
			return -EINVAL;
		rr.type = rd16(msg + pos);
		rr.cls = rd16(msg + pos + 2);
		pos += 4;
		if (m->nq < YS_DNS_MAX_Q && (off = arena_put(m, name, n)) >= 0) {
			rr.name_off = (uint16_t)off;
			rr.name_len = (uint16_t)n;
			m->q[m->nq++] = rr;
		}
	}
	for (unsigned i = 0; i < m->ancount; i++) {
		struct ys_dns_rr rr = { 0 };
		uint16_t rdlen;
		int off;

		if (read_name(msg, len, &pos, name, sizeof(name), &n) < 0 || pos + 10 > len)
			return -EINVAL;
		rr.type = rd16(msg + pos);
		rr.cls = rd16(msg + pos + 2);
		rr.ttl = (uint32_t)rd16(msg + pos + 4) << 16 | rd16(msg + pos + 6);
		rdlen = rd16(msg + pos + 8);
		pos += 10;
		if (pos + rdlen > len)
			return -EINVAL;
		if (m->na < YS_DNS_MAX_A && (off = arena_put(m, name, n)) >= 0) {
			rr.name_off = (uint16_t)off;
			rr.name_len = (uint16_t)n;
			rdata_text(m, &rr, msg, len, pos, rdlen);
			m->a[m->na++] = rr;
		}
		pos += rdlen;
	}
	return 0;
}

const char *ys_dns_rrtype_name(uint16_t type, char *buf, size_t len)
{
	static const struct {
		uint16_t t;
		const char *n;
	} names[] = {
		{ 1, "A" },	 { 2, "NS" },	  { 5, "CNAME" },  { 6, "SOA" },   { 12, "PTR" },
		{ 13, "HINFO" }, { 15, "MX" },	  { 16, "TXT" },   { 28, "AAAA" }, { 33, "SRV" },
		{ 35, "NAPTR" }, { 43, "DS" },	  { 46, "RRSIG" }, { 47, "NSEC" }, { 48, "DNSKEY" },
		{ 64, "SVCB" },	 { 65, "HTTPS" }, { 99, "SPF" },   { 255, "ANY" }, { 252, "AXFR" },
		{ 251, "IXFR" }, { 257, "CAA" },  { 10, "NULL" },  { 41, "OPT" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].t == type)
			return names[i].n;
	snprintf(buf, len, "%u", type);
	return buf;
}

static void *dns_new(struct ys_applayer_ctx *ctx, const struct ys_flow *f)
{
	struct ys_dns_state *s = calloc(1, sizeof(*s));

	if (s)
		s->udp = f->proto == 17;
	return s;
}

static void dns_free(void *st)
{
	struct ys_dns_state *s = st;

	if (!s)
		return;
	for (int i = 0; i < YS_DNS_RING; i++)
		free(s->ring[i]);
	ys_dbuf_free(&s->tcp[0]);
	ys_dbuf_free(&s->tcp[1]);
	free(s);
}

/* One whole message of direction DIR. */
static void dns_message(struct ys_applayer_ctx *ctx, struct ys_dns_state *s, int dir,
			const uint8_t *d, uint32_t len, struct ys_inspect *in)
{
	unsigned slot = s->head % YS_DNS_RING;
	struct ys_dns_msg *m;
	uint64_t tx;
	bool response;

	if (s->gen != ctx->gen) {
		s->gen = ctx->gen;
		s->gen_msgs = 0;
	}
	/* Buffers added for this packet still point into the ring: do not reuse it. */
	if (s->gen_msgs >= YS_DNS_RING)
		return;
	if (!s->ring[slot] && !(s->ring[slot] = malloc(sizeof(struct ys_dns_msg))))
		return;
	m = s->ring[slot];
	if (ys_dns_parse(d, len, m) < 0) {
		ctx->st.dns_malformed++;
		return;
	}
	response = m->flags & 0x8000;
	if (response && s->query_open && s->query_id == m->id) {
		tx = s->query_tx;
		s->query_open = false;
	} else {
		tx = s->tx_next++;
		ctx->st.dns_tx++;
		if (!response) {
			s->query_open = true;
			s->query_id = m->id;
			s->query_tx = tx;
		}
	}
	s->ring_tx[slot] = tx;
	s->head++;
	if (s->used < YS_DNS_RING)
		s->used++;
	s->gen_msgs++;
	if (response) {
		uint16_t fl = dir ? YS_BUF_F_TO_CLIENT : YS_BUF_F_TO_SERVER;

		for (unsigned i = 0; i < m->nq; i++)
			ys_inspect_add(in, YS_BUF_DNS_RESPONSE_RRNAME,
				       (const uint8_t *)ys_dns_str(m, m->q[i].name_off),
				       m->q[i].name_len, fl, tx);
		for (unsigned i = 0; i < m->na; i++) {
			const struct ys_dns_rr *a = &m->a[i];

			ys_inspect_add(in, YS_BUF_DNS_RESPONSE_RRNAME,
				       (const uint8_t *)ys_dns_str(m, a->name_off), a->name_len, fl,
				       tx);
			/* Names in rdata (CNAME, NS, PTR, MX) count as response names too. */
			if (a->data_len &&
			    (a->type == 2 || a->type == 5 || a->type == 12 || a->type == 15))
				ys_inspect_add(in, YS_BUF_DNS_RESPONSE_RRNAME,
					       (const uint8_t *)ys_dns_str(m, a->data_off),
					       a->data_len, fl, tx);
		}
		return;
	}
	for (unsigned i = 0; i < m->nq; i++)
		ys_inspect_add(in, YS_BUF_DNS_QUERY,
			       (const uint8_t *)ys_dns_str(m, m->q[i].name_off), m->q[i].name_len,
			       dir ? YS_BUF_F_TO_CLIENT : YS_BUF_F_TO_SERVER, tx);
}

static int dns_parse(struct ys_applayer_ctx *ctx, void *st, int dir, const uint8_t *d, uint32_t len,
		     uint32_t flags, uint64_t ts, struct ys_inspect *in)
{
	struct ys_dns_state *s = st;
	struct ys_dbuf *b = &s->tcp[dir ? 1 : 0];

	if (s->udp) {
		if (d && len)
			dns_message(ctx, s, dir, d, len, in);
		return 0;
	}
	if (flags & YS_STREAM_GAP) {
		/* No way to find the next length prefix after a hole. */
		ys_dbuf_free(b);
		return -1;
	}
	while (len > 0) {
		uint32_t need, take;

		if (b->len == 0 && len >= 2 && len >= 2u + rd16(d)) {
			uint32_t ml = rd16(d); /* whole message in place: no copy */

			if (ml)
				dns_message(ctx, s, dir, d + 2, ml, in);
			d += 2 + ml;
			len -= 2 + ml;
			continue;
		}
		/* Gather the length prefix, then the message. */
		need = b->len < 2 ? 2 - b->len : 2u + rd16(b->p) - b->len;
		take = len < need ? len : need;
		if (ys_dbuf_append(b, d, take, 2 + YS_DNS_TCP_MAX) < 0)
			return -1;
		d += take;
		len -= take;
		if (b->len >= 2 && b->len == 2u + rd16(b->p)) {
			/* Names were copied into the ring: B may be reused at once. */
			if (rd16(b->p))
				dns_message(ctx, s, dir, b->p + 2, rd16(b->p), in);
			b->len = 0;
		}
	}
	return 0;
}

static const struct ys_dns_msg *find_tx(const struct ys_dns_state *s, uint64_t tx_id,
					const struct ys_dns_msg **query)
{
	const struct ys_dns_msg *found = NULL;

	*query = NULL;
	for (unsigned k = 1; k <= s->used; k++) {
		unsigned slot = (s->head - k) % YS_DNS_RING;

		if (tx_id != UINT64_MAX && s->ring_tx[slot] != tx_id)
			continue;
		if (tx_id == UINT64_MAX)
			tx_id = s->ring_tx[slot];
		if (!found)
			found = s->ring[slot];
		if (!(s->ring[slot]->flags & 0x8000))
			*query = s->ring[slot];
	}
	return found;
}

static const char *rcode_name(unsigned rc, char *buf, size_t len)
{
	static const char *const n[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
					 "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
					 "NXRRSET", "NOTAUTH", "NOTZONE" };

	if (rc < sizeof(n) / sizeof(n[0]))
		return n[rc];
	snprintf(buf, len, "%u", rc);
	return buf;
}

static int dns_eve(const void *st, uint64_t tx_id, json_t *obj)
{
	const struct ys_dns_state *s = st;
	const struct ys_dns_msg *m, *q;
	json_t *dns, *e;
	char tb[16], fb[8];

	m = find_tx(s, tx_id, &q);
	if (!m)
		return -ENOENT;
	if (tx_id == UINT64_MAX)
		tx_id = s->ring_tx[(s->head - 1) % YS_DNS_RING];
	dns = json_object();
	if (!dns)
		return -ENOMEM;
	if (q) {
		json_t *arr = json_array();

		for (unsigned i = 0; arr && i < q->nq; i++) {
			e = json_pack("{s:s, s:i, s:s, s:s, s:I, s:i}", "type", "query", "id",
				      q->id, "rrname", ys_dns_str(q, q->q[i].name_off), "rrtype",
				      ys_dns_rrtype_name(q->q[i].type, tb, sizeof(tb)), "tx_id",
				      (json_int_t)tx_id, "opcode", (q->flags >> 11) & 0xf);
			json_array_append_new(arr, e);
		}
		json_object_set_new(dns, "query", arr);
	}
	if (m->flags & 0x8000) {
		json_t *ans = json_array();

		snprintf(fb, sizeof(fb), "%x", m->flags);
		e = json_pack("{s:i, s:s, s:i, s:s, s:b, s:b, s:b, s:i, s:s}", "version", 2, "type",
			      "answer", "id", m->id, "flags", fb, "qr", 1, "rd",
			      (m->flags >> 8) & 1, "ra", (m->flags >> 7) & 1, "opcode",
			      (m->flags >> 11) & 0xf, "rcode",
			      rcode_name(m->flags & 0xf, tb, sizeof(tb)));
		if (e && m->nq) {
			json_object_set_new(e, "rrname",
					    json_string(ys_dns_str(m, m->q[0].name_off)));
			json_object_set_new(
				e, "rrtype",
				json_string(ys_dns_rrtype_name(m->q[0].type, tb, sizeof(tb))));
		}
		for (unsigned i = 0; ans && i < m->na; i++) {
			json_t *a = json_pack("{s:s, s:s, s:I}", "rrname",
					      ys_dns_str(m, m->a[i].name_off), "rrtype",
					      ys_dns_rrtype_name(m->a[i].type, tb, sizeof(tb)),
					      "ttl", (json_int_t)m->a[i].ttl);

			if (a && m->a[i].data_len)
				json_object_set_new(a, "rdata",
						    json_string(ys_dns_str(m, m->a[i].data_off)));
			json_array_append_new(ans, a);
		}
		if (e && ans && json_array_size(ans))
			json_object_set_new(e, "answers", ans);
		else
			json_decref(ans);
		json_object_set_new(dns, "answer", e);
	}
	json_object_set_new(obj, "dns", dns);
	return 0;
}

const struct ys_app_parser ys_app_dns_parser = {
	.proto = YS_APP_DNS,
	.state_new = dns_new,
	.state_free = dns_free,
	.parse = dns_parse,
	.eve = dns_eve,
};
