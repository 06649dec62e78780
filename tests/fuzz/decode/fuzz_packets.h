/*
 * The packet framing shared by fuzz_decode and tests/fuzz/flow/fuzz_flow_table,
 * so both read the same corpus the same way: after the first byte, packets as
 * [2-byte big-endian length][bytes]; a length past the end makes the rest one
 * last packet. Header-only: each fuzz target is one program.
 */
#ifndef YS_FUZZ_PACKETS_H
#define YS_FUZZ_PACKETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The next packet of *DATA (*SIZE bytes left) into *PKT / *LEN, advancing past
 * it; false at the end of the input. */
static inline bool ys_fuzz_next_packet(const uint8_t **data, size_t *size, const uint8_t **pkt,
				       size_t *len)
{
	const uint8_t *d = *data;

	if (*size == 0)
		return false;
	if (*size >= 2 && (size_t)((d[0] << 8) | d[1]) <= *size - 2) {
		*len = (size_t)((d[0] << 8) | d[1]);
		d += 2;
		*size -= 2;
	} else {
		*len = *size;
	}
	*pkt = d;
	*data = d + *len;
	*size -= *len;
	return true;
}

#endif /* YS_FUZZ_PACKETS_H */
