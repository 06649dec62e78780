/*
 * Frame builder for the XDP tests (see frame_build.h). Writes headers front
 * to back with explicit lengths so a test can truncate the result anywhere.
 */
#include "frame_build.h"

#include <arpa/inet.h>
#include <string.h>

static size_t tf_put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
	return 2;
}

/* Ethernet + VLANs + IP + L4 + payload of the inner spec. */
static size_t tf_build_plain(const struct tf_spec *s, uint8_t *buf, size_t cap)
{
	size_t l4len = (s->proto == 6 ? 20 : 8) + s->payload;
	size_t iplen = (s->family == 4 ? 20 : 40) + l4len;
	size_t need = 14 + 4 * s->nvlan + iplen;
	uint8_t *p = buf;

	if (need > cap)
		return 0;
	memset(buf, 0, need);
	memcpy(p, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	p += 12;
	for (int i = 0; i < s->nvlan; i++) {
		p += tf_put16(p, i == 0 && s->nvlan == 2 ? 0x88a8 : 0x8100);
		p += tf_put16(p, s->vlan[i]);
	}
	p += tf_put16(p, s->family == 4 ? 0x0800 : 0x86dd);
	if (s->family == 4) {
		p[0] = 0x45;
		tf_put16(p + 2, iplen);
		p[8] = 64;
		p[9] = s->proto;
		memcpy(p + 12, s->src, 4);
		memcpy(p + 16, s->dst, 4);
		p += 20;
	} else {
		p[0] = 0x60;
		tf_put16(p + 4, l4len);
		p[6] = s->proto;
		p[7] = 64;
		memcpy(p + 8, s->src, 16);
		memcpy(p + 24, s->dst, 16);
		p += 40;
	}
	tf_put16(p, s->sport);
	tf_put16(p + 2, s->dport);
	if (s->proto == 6) {
		p[12] = 5 << 4;
		p[13] = 0x18; /* PSH ACK */
	} else {
		tf_put16(p + 4, l4len);
	}
	p += l4len;
	return p - buf;
}

size_t tf_build(const struct tf_spec *spec, uint8_t *buf, size_t cap)
{
	struct tf_spec inner = *spec;
	size_t hdr, tlen, inlen;
	uint8_t *p = buf;

	if (spec->tunnel == TF_NONE)
		return tf_build_plain(spec, buf, cap);
	/* Outer: 02:.. -> 02:.., optional outer VLANs, IPv4 192.0.2.1 -> 192.0.2.2, UDP. */
	tlen = spec->tunnel == TF_VXLAN ? 8 : 8 + 4u * spec->geneve_optwords;
	hdr = 14 + 4 * spec->nvlan + 20 + 8 + tlen;
	if (hdr > cap)
		return 0;
	inner.nvlan = 0;
	inner.tunnel = TF_NONE;
	inlen = tf_build_plain(&inner, buf + hdr, cap - hdr);
	if (!inlen)
		return 0;
	memset(buf, 0, hdr);
	memcpy(p, "\x02\x00\x00\x00\x00\x12\x02\x00\x00\x00\x00\x11", 12);
	p += 12;
	for (int i = 0; i < spec->nvlan; i++) {
		p += tf_put16(p, i == 0 && spec->nvlan == 2 ? 0x88a8 : 0x8100);
		p += tf_put16(p, spec->vlan[i]);
	}
	p += tf_put16(p, 0x0800);
	p[0] = 0x45;
	tf_put16(p + 2, 20 + 8 + tlen + inlen);
	p[8] = 64;
	p[9] = 17;
	memcpy(p + 12, "\xc0\x00\x02\x01\xc0\x00\x02\x02", 8);
	p += 20;
	tf_put16(p, 49152);
	tf_put16(p + 2, spec->tunnel == TF_VXLAN ? 4789 : 6081);
	tf_put16(p + 4, 8 + tlen + inlen);
	p += 8;
	if (spec->tunnel == TF_VXLAN) {
		p[0] = 0x08;
	} else {
		p[0] = spec->geneve_optwords & 0x3f;
		tf_put16(p + 2, 0x6558);
	}
	p[4] = spec->vni >> 16;
	p[5] = spec->vni >> 8;
	p[6] = spec->vni;
	return hdr + inlen;
}

void tf_addrs(struct tf_spec *spec, const char *src, const char *dst)
{
	memset(spec->src, 0, sizeof(spec->src));
	memset(spec->dst, 0, sizeof(spec->dst));
	if (inet_pton(AF_INET, src, spec->src) == 1) {
		spec->family = 4;
		inet_pton(AF_INET, dst, spec->dst);
	} else {
		spec->family = 6;
		inet_pton(AF_INET6, src, spec->src);
		inet_pton(AF_INET6, dst, spec->dst);
	}
}
