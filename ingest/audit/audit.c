/*
 * Audit chain hashing and verification (see audit.h for the record format).
 * Canonical form is produced with jansson's sorted, compact encoder so that
 * the same record always hashes the same, whatever the database returns for
 * column order or spacing.
 */
#include "audit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

static int ys_hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int ys_hex_decode32(const char *hex, unsigned char out[32])
{
	if (!hex || strlen(hex) != 64)
		return -EINVAL;
	for (int i = 0; i < 32; i++) {
		int hi = ys_hex_nibble(hex[2 * i]), lo = ys_hex_nibble(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int ys_audit_hash(const struct ys_audit_record *rec, char out[YS_AUDIT_HEX_LEN])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char prev[32], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	json_t *obj;
	char *canon = NULL;
	int ret = -ENOMEM;

	if (ys_hex_decode32(rec->prev_hash, prev))
		return -EINVAL;
	obj = json_pack("{s:s?, s:s?, s:s?, s:I, s:s?, s:I}", "action", rec->action, "actor",
			rec->actor, "detail", rec->detail, "seq", (json_int_t)rec->seq, "target",
			rec->target, "time", (json_int_t)rec->time);
	if (!obj)
		return -ENOMEM;
	canon = json_dumps(obj, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENSURE_ASCII);
	if (!canon)
		goto out_obj;
	{
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();

		if (!ctx)
			goto out_canon;
		if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
		    EVP_DigestUpdate(ctx, prev, sizeof(prev)) != 1 ||
		    EVP_DigestUpdate(ctx, canon, strlen(canon)) != 1 ||
		    EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32) {
			EVP_MD_CTX_free(ctx);
			ret = -EIO;
			goto out_canon;
		}
		EVP_MD_CTX_free(ctx);
	}
	for (unsigned i = 0; i < 32; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[64] = '\0';
	ret = 0;
out_canon:
	free(canon);
out_obj:
	json_decref(obj);
	return ret;
}

void ys_audit_walk_init(struct ys_audit_walk *w)
{
	memset(w, 0, sizeof(*w));
	w->expect_seq = 1;
	w->first_bad = -1;
	snprintf(w->prev, sizeof(w->prev), "%s", YS_AUDIT_GENESIS);
}

static bool ys_audit_walk_fail(struct ys_audit_walk *w, int64_t seq, const char *reason)
{
	if (!w->broken) {
		w->broken = true;
		w->first_bad = seq;
		snprintf(w->reason, sizeof(w->reason), "%s", reason);
	}
	return false;
}

bool ys_audit_walk_step(struct ys_audit_walk *w, const struct ys_audit_record *rec)
{
	char h[YS_AUDIT_HEX_LEN];
	bool ok = true;

	w->records++;
	if (w->broken)
		return false;
	if (rec->seq != w->expect_seq) {
		/* A gap means deleted records; a repeat or step back means inserted ones. */
		ok = ys_audit_walk_fail(w, rec->seq,
					rec->seq > w->expect_seq ? "records missing before this one"
								 : "sequence out of order");
	} else if (!rec->prev_hash || strcmp(rec->prev_hash, w->prev) != 0) {
		ok = ys_audit_walk_fail(w, rec->seq,
					"prev_hash does not match the previous record");
	} else if (ys_audit_hash(rec, h) != 0) {
		ok = ys_audit_walk_fail(w, rec->seq, "record cannot be hashed");
	} else if (!rec->hash || strcmp(h, rec->hash) != 0) {
		ok = ys_audit_walk_fail(w, rec->seq, "hash does not match the record's content");
	}
	if (ok) {
		snprintf(w->prev, sizeof(w->prev), "%s", rec->hash);
		w->expect_seq = rec->seq + 1;
	}
	return ok;
}
