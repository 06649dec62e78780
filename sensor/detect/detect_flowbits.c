/*
 * Per-flow detection state, kept in flow->detect: flowbits (one bit per
 * name the rule set uses), flowints (value + "is set"), the pass verdict and
 * the app-layer alerts already given ((rule, transaction) pairs, so that an
 * app-layer rule alerts once per transaction). Allocated on the first packet
 * of a flow that needs it (per flow, not per packet) and released by the flow
 * table through ys_detect_flow_release().
 */
#include "detect_int.h"

#include <stdlib.h>
#include <string.h>

struct ys_detect_flow *ys_detect_flow_get(struct ys_flow *f, const struct ys_detect_engine *eng)
{
	struct ys_detect_flow *df;

	if (!f)
		return NULL;
	if (f->detect)
		return f->detect;
	df = calloc(1, sizeof(*df));
	if (!df)
		return NULL;
	df->nbits_words = (eng->flowbits.n + 63) / 64;
	df->nints = eng->flowints.n;
	if (df->nbits_words) {
		df->bits = calloc(df->nbits_words, sizeof(*df->bits));
		if (!df->bits)
			goto out_free;
	}
	if (df->nints) {
		df->ints = calloc(df->nints, sizeof(*df->ints));
		df->int_set = calloc(df->nints, 1);
		if (!df->ints || !df->int_set)
			goto out_free;
	}
	f->detect = df;
	return df;
out_free:
	ys_detect_flow_release(df);
	return NULL;
}

void ys_detect_flow_release(void *detect_state)
{
	struct ys_detect_flow *df = detect_state;
	if (!df)
		return;
	free(df->bits);
	free(df->ints);
	free(df->int_set);
	free(df->txa);
	free(df);
}

static inline bool bit_get(const struct ys_detect_flow *df, uint32_t b)
{
	return b / 64 < df->nbits_words && (df->bits[b / 64] >> (b % 64)) & 1;
}

bool ys_flowbits_check(const struct ys_detect_flow *df, const struct ys_fb *fb)
{
	bool want = fb->op == YS_FB_ISSET;

	if (fb->op != YS_FB_ISSET && fb->op != YS_FB_ISNOTSET)
		return true;
	if (!df)
		return !want;
	if (fb->or_group) {
		/* isset,a|b: any set; isnotset,a|b: any not set */
		for (uint16_t i = 0; i < fb->nbits; i++)
			if (bit_get(df, fb->bits[i]) == want)
				return true;
		return false;
	}
	for (uint16_t i = 0; i < fb->nbits; i++)
		if (bit_get(df, fb->bits[i]) != want)
			return false;
	return true;
}

void ys_flowbits_apply(struct ys_detect_flow *df, const struct ys_fb *fb)
{
	if (!df)
		return;
	for (uint16_t i = 0; i < fb->nbits; i++) {
		uint32_t b = fb->bits[i];
		if (b / 64 >= df->nbits_words)
			continue;
		uint64_t m = 1ull << (b % 64);
		switch (fb->op) {
		case YS_FB_SET:
			df->bits[b / 64] |= m;
			break;
		case YS_FB_UNSET:
			df->bits[b / 64] &= ~m;
			break;
		case YS_FB_TOGGLE:
			df->bits[b / 64] ^= m;
			break;
		default:
			break;
		}
	}
}

static bool fi_operand(const struct ys_detect_flow *df, const struct ys_fi *fi, int64_t *out)
{
	if (fi->value_var < 0) {
		*out = fi->value;
		return true;
	}
	if ((uint32_t)fi->value_var >= df->nints || !df->int_set[fi->value_var])
		return false;
	*out = df->ints[fi->value_var];
	return true;
}

bool ys_flowint_check(const struct ys_detect_flow *df, const struct ys_fi *fi)
{
	int64_t v, ref;
	bool set;

	if (fi->op <= YS_FI_SUB)
		return true; /* actions, applied after the match */
	set = df && fi->var < df->nints && df->int_set[fi->var];
	if (fi->op == YS_FI_ISSET)
		return set;
	if (fi->op == YS_FI_NOTSET)
		return !set;
	if (!set || !fi_operand(df, fi, &ref))
		return false;
	v = df->ints[fi->var];
	switch (fi->cmp) {
	case YS_CMP_EQ:
		return v == ref;
	case YS_CMP_NE:
		return v != ref;
	case YS_CMP_LT:
		return v < ref;
	case YS_CMP_GT:
		return v > ref;
	case YS_CMP_LE:
		return v <= ref;
	case YS_CMP_GE:
		return v >= ref;
	}
	return false;
}

void ys_flowint_apply(struct ys_detect_flow *df, const struct ys_fi *fi)
{
	int64_t ref;

	if (!df || fi->var >= df->nints || fi->op > YS_FI_SUB)
		return;
	if (!fi_operand(df, fi, &ref))
		return;
	switch (fi->op) {
	case YS_FI_SET:
		df->ints[fi->var] = ref;
		df->int_set[fi->var] = 1;
		break;
	case YS_FI_ADD:
	case YS_FI_SUB:
		/* Suricata: adding to an unset var sets it to the operand */
		if (!df->int_set[fi->var])
			df->ints[fi->var] = fi->op == YS_FI_ADD ? ref : -ref;
		else
			df->ints[fi->var] += fi->op == YS_FI_ADD ? ref : -ref;
		df->int_set[fi->var] = 1;
		break;
	default:
		break;
	}
}

bool ys_detect_flow_tx_seen(struct ys_detect_flow *df, uint32_t sig, uint64_t tx)
{
	if (!df)
		return false;
	for (uint32_t i = 0; i < df->ntxa; i++)
		if (df->txa[i].sig == sig && df->txa[i].tx == tx)
			return true;
	if (df->ntxa == df->txa_cap) {
		/* Bounded: a flow remembers at most 1024 pairs; the oldest half
		 * is forgotten when full (old transactions rarely come back). */
		if (df->txa_cap >= 1024) {
			memmove(df->txa, df->txa + 512, (df->ntxa - 512) * sizeof(*df->txa));
			df->ntxa -= 512;
		} else {
			uint32_t nc = df->txa_cap ? df->txa_cap * 2 : 8;
			void *nv = realloc(df->txa, nc * sizeof(*df->txa));
			if (!nv)
				return false;
			df->txa = nv;
			df->txa_cap = nc;
		}
	}
	df->txa[df->ntxa].sig = sig;
	df->txa[df->ntxa].tx = tx;
	df->ntxa++;
	return false;
}
