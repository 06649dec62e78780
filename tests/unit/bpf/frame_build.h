/*
 * Crafted frames for the XDP program's tests and benches: Ethernet, up to two
 * VLAN tags, IPv4 or IPv6, TCP or UDP, optionally wrapped in VXLAN or GENEVE
 * (with options). Checksums are left zero: the XDP program never checks them.
 */
#ifndef YS_TEST_FRAME_BUILD_H
#define YS_TEST_FRAME_BUILD_H

#include <stddef.h>
#include <stdint.h>

enum tf_tunnel {
	TF_NONE = 0,
	TF_VXLAN,
	TF_GENEVE,
};

struct tf_spec {
	uint16_t vlan[2]; /* outermost first */
	int nvlan;
	int family; /* 4 or 6 */
	uint8_t src[16], dst[16];
	uint8_t proto; /* 6 or 17 */
	uint16_t sport, dport;
	enum tf_tunnel tunnel; /* wrap the above in an overlay */
	uint32_t vni;
	uint8_t geneve_optwords; /* GENEVE option length in 4-byte words */
	uint16_t payload;	 /* payload bytes after L4 */
};

/* Build SPEC into BUF (CAP bytes). Returns the frame length, 0 if it does not fit. */
size_t tf_build(const struct tf_spec *spec, uint8_t *buf, size_t cap);
/* Parse "a.b.c.d" or an IPv6 literal into SPEC->src/dst, setting family. */
void tf_addrs(struct tf_spec *spec, const char *src, const char *dst);

#endif /* YS_TEST_FRAME_BUILD_H */
