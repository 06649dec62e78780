/*
 * libFuzzer target for ys_event_validate(): the ingest runs it on whatever
 * arrives on yunshao.alerts, so any bytes that jansson accepts must be judged
 * without a crash, and the verdict must not change when the same object is
 * serialised and parsed again (a validator that depends on key order or
 * formatting would let the consumer and a replay disagree).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "ys_event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	json_t *ev = json_loadb((const char *)data, size, JSON_DECODE_ANY, &jerr);
	char err[256];
	bool ok;

	if (!ev)
		return 0;
	ok = ys_event_validate(ev, err, sizeof(err));
	if (!ok && err[0] == '\0')
		abort(); /* a rejection must say why */
	{
		char *text = json_dumps(ev, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);

		if (text) {
			json_t *again = json_loads(text, JSON_DECODE_ANY, &jerr);

			if (again && ys_event_validate(again, err, sizeof(err)) != ok)
				abort();
			json_decref(again);
			free(text);
		}
	}
	json_decref(ev);
	return 0;
}
