/*
 * Fuzz the correlation-rule parser (YAML -> rules), then run whatever parsed
 * over a few alerts so that every accepted rule is also exercised by the
 * engine: thresholds, windows, steps and group-by paths straight from the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "correlate.h"
#include "ys_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const alerts[] = {
		"{\"tenant\":\"a\",\"src_ip\":\"1.1.1.1\",\"dest_ip\":\"10.0.0.1\",\"alert\":{"
		"\"signature_id\":1,\"gid\":1,\"signature\":\"brute scan\",\"category\":"
		"\"network-scan\",\"severity\":1,\"metadata\":{\"classtype\":[\"attempted-admin\"]}"
		"},"
		"\"sensor\":{\"id\":\"s\",\"rack\":\"r1\"}}",
		"{\"tenant\":\"b\",\"src_ip\":\"1.1.1.1\",\"dest_ip\":\"10.0.0.2\",\"alert\":{"
		"\"signature_id\":2,\"severity\":3.0,\"signature\":\"x\"},\"sensor\":{\"rack\":"
		"\"r2\"}}",
	};
	struct ys_corr_limits lim = { .max_groups = 8 };
	struct ys_corr_ruleset *rs;
	struct ys_corr_engine *eng;
	char err[256];

	ys_log_set_level(YS_LOG_ERROR);
	rs = ys_corr_rules_parse("fuzz.yaml", (const char *)data, size, err, sizeof(err));
	if (!rs)
		return 0;
	eng = ys_corr_new(rs, &lim);
	if (eng) {
		for (int i = 0; i < 40; i++) {
			json_t *ev = json_loads(alerts[i % 2], 0, NULL);

			ys_corr_feed(eng, i % 3 ? YS_CORR_STREAM_ALERTS : YS_CORR_STREAM_BY_SOURCE,
				     ev, (int64_t)i * 7000000,
				     "018f0000-0000-7000-8000-000000000000");
			json_decref(ev);
		}
		ys_corr_expire(eng, 1LL << 40);
		ys_corr_discard(eng);
		ys_corr_free(eng);
	}
	ys_corr_rules_free(rs);
	return 0;
}
