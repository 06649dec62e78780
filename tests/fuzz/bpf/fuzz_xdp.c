/*
 * libFuzzer target for the XDP program (bpf/sensor.bpf.c, parser in
 * parse.bpf.h): every input is run as a frame through BPF_PROG_TEST_RUN with
 * a small tenant table, and the verdict must be coherent:
 *  - only XDP_PASS or XDP_DROP (no XSK socket is bound; never XDP_ABORTED);
 *  - metadata only on inspected frames, carrying a configured tenant id;
 *  - the ignored tenant's frames are never inspected;
 *  - the kernel counts exactly one packet per run.
 * The verifier already proves memory safety; this finds logic errors in the
 * parser (lengths, tunnel and extension header walks). When the kernel
 * refuses BPF (not root) every input is accepted without a check, and that
 * is printed once.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "ys_bpf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ys_bpf *fz_bpf;
static bool fz_refused;
static uint64_t fz_runs;

static int fz_sum(uint32_t tenant, const struct ys_bpf_counters *c, void *arg)
{
	*(uint64_t *)arg += c->packets;
	return 0;
}

static bool fz_setup(void)
{
	struct ys_bpf_params p = { 0 };
	uint8_t v4[4] = { 10 }, v6[16] = { 0xfd };
	char err[256];

	if (fz_bpf || fz_refused)
		return fz_bpf != NULL;
	fz_bpf = ys_bpf_new(&p, err, sizeof(err));
	if (!fz_bpf) {
		fprintf(stderr, "fuzz_xdp: no BPF here, inputs are not checked: %s\n", err);
		fz_refused = true;
		return false;
	}
	if (ys_bpf_set_vni(fz_bpf, 5001, 1) || ys_bpf_set_policy(fz_bpf, 1, YS_BPF_IGNORE, 0) ||
	    ys_bpf_set_vlan(fz_bpf, YS_BPF_VLAN_SINGLE | 100, 2) ||
	    ys_bpf_set_vlan(fz_bpf, (200u << 16) | 300, 2) ||
	    ys_bpf_set_cidr(fz_bpf, 4, v4, 8, 3) ||
	    ys_bpf_set_policy(fz_bpf, 3, YS_BPF_SAMPLE, 2) || ys_bpf_set_cidr(fz_bpf, 6, v6, 8, 4))
		abort();
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ys_xdp_meta meta;
	uint64_t packets = 0;
	uint32_t ret;
	int rc;

	/* The kernel's test run wants at least an Ethernet header. */
	if (size < 14 || size > 4096 || !fz_setup())
		return 0;
	rc = ys_bpf_test_run(fz_bpf, data, size, 1, &ret, &meta, NULL);
	if (rc) {
		fprintf(stderr, "fuzz_xdp: BPF_PROG_TEST_RUN: %d\n", rc);
		abort();
	}
	fz_runs++;
	if (ret != 1 /* XDP_DROP */ && ret != 2 /* XDP_PASS */)
		abort();
	if (meta.magic == YS_XDP_META_MAGIC) {
		if (ret != 2 || meta.tenant > 4 || meta.tenant == 1)
			abort();
	}
	/* Once in a while (it walks the map): one packet counted per run. */
	if ((fz_runs & 1023) == 0) {
		if (ys_bpf_counters_foreach(fz_bpf, fz_sum, &packets) || packets != fz_runs)
			abort();
	}
	return 0;
}
